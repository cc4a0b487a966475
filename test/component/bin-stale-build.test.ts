/**
 * @module `bin/rswarm.js` picks what to run: the build (dist/) when it is newer than every
 * production source file, else the TypeScript source through tsx, saying on stderr which file
 * changed (a stale dist/ silently running old code misled its own authors). Run on a scratch
 * copy (the launcher, a stand-in build and source, tsx linked in), so the repository's files and
 * times are never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('bin/rswarm.js runs dist/ when it is current, the source (with a note) when it is stale or missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-bin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'dist/cli', 'cli', 'core/model', 'frontend/ui'])
    mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'rswarm.js'), join(dir, 'bin', 'rswarm.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'cli', 'main.ts'), "const from: string = 'source';\nconsole.log(from);\n");
  writeFileSync(join(dir, 'core', 'model', 'records.ts'), 'export const x: number = 1;\n');
  writeFileSync(join(dir, 'frontend', 'ui', 'app.ts'), '// not a production source (the ui folder)\n');
  const dist = join(dir, 'dist', 'cli', 'main.js');
  writeFileSync(dist, "console.log('dist');\n");
  const run = () =>
    promisify(execFile)(process.execPath, [join(dir, 'bin', 'rswarm.js')], { timeout: 60_000 });
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);
  const now = Math.floor(Date.now() / 1000);
  for (const f of ['cli/main.ts', 'core/model/records.ts']) at(join(dir, f), now - 100);
  at(join(dir, 'frontend', 'ui', 'app.ts'), now);
  at(dist, now - 50);

  const current = await run();
  assert.equal(current.stdout, 'dist\n');
  assert.equal(current.stderr, '');

  at(join(dir, 'core', 'model', 'records.ts'), now - 10);
  const stale = await run();
  assert.equal(stale.stdout, 'source\n');
  assert.match(
    stale.stderr,
    /^rswarm: core\/model\/records\.ts changed after the last build: running the source/,
  );

  rmSync(join(dir, 'dist'), { recursive: true });
  const none = await run();
  assert.equal(none.stdout, 'source\n');
  assert.equal(none.stderr, '', 'no build at all is not a stale build');
});

/**
 * @module Test hygiene (issue 13, item 9): the suite's runner flags bound every test and end each
 * test file's process when its tests are done, so a file whose after-hook failed and left a handle
 * open cannot hang the run (it did, for 19+ minutes). Checked by running the flags of `npm test`
 * on a fixture that does exactly that.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};
const FIXTURE = fileURLToPath(new URL('../support/fixtures/hanging-after-hook.ts', import.meta.url));

/** The runner flags of a script: every `--test-*` option (the file list is not needed). */
const runnerFlags = (script: string): string[] =>
  script.split(/\s+/).filter((w) => /^--test-[a-z-]+(=\d+)?$/.test(w));

for (const name of ['test', 'test:pure']) {
  test(`npm run ${name} bounds every test and force-exits each file`, () => {
    const flags = runnerFlags(pkg.scripts[name] ?? '');
    assert.ok(flags.includes('--test-force-exit'), flags.join(' '));
    assert.ok(
      flags.some((f) => f.startsWith('--test-timeout=')),
      flags.join(' '),
    );
  });
}

test('a file whose after-hook fails and leaves a timer running ends, reported as failed', async () => {
  const flags = runnerFlags(pkg.scripts['test'] ?? '');
  // Without this test runner's own context, so the child reports for itself (TAP, exit code).
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...flags, FIXTURE], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the runner did not end within 60 s:\n${out}`));
    }, 60_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 1, out);
  assert.match(out, /# pass 1/);
  assert.match(out, /# fail 1/);
});

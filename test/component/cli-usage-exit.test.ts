/**
 * @module `rswarm`'s own usage errors exit 2, as the README and `rswarm --help` say for every
 * usage error: an unknown command (`rswarm jobs`), an unknown option before the command (a client
 * option put first, as in kubectl, also says where it goes) and no command at all; `rswarm validate`
 * reads YAML as `job run -f` does (examples/hello-job.yaml) and names a missing or unparsable file
 * in one line (exit 2) instead of a stack trace. Runs the source through tsx (no build needed);
 * `--help` stays 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { SOURCE_MAIN, ROOT } from '../support/built-cli.js';

function rswarm(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SOURCE_MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, RSWARM_CONFIG: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES: readonly { args: readonly string[]; code: number; stderr: RegExp }[] = [
  { args: ['jobs'], code: 2, stderr: /unknown command 'jobs'[\s\S]*Did you mean job\?/ },
  {
    args: ['--url', 'http://127.0.0.1:1', 'job', 'ls'],
    code: 2,
    stderr: /unknown option '--url'[\s\S]*client options go after the command/,
  },
  { args: ['--bogus'], code: 2, stderr: /unknown option '--bogus'\n$/ },
  { args: [], code: 2, stderr: /^Usage: rswarm/ },
  { args: ['--help'], code: 0, stderr: /^$/ },
  { args: ['validate', 'examples/hello-job.yaml'], code: 0, stderr: /^$/ },
  { args: ['validate', 'no-such-job.json'], code: 2, stderr: /^error: no-such-job\.json: no such file\n$/ },
  { args: ['validate', 'package.json'], code: 1, stderr: /^[A-Z_]+ \/?/ },
  { args: ['validate', 'README.md'], code: 2, stderr: /^error: README\.md:\d+:\d+: invalid YAML/ },
];

for (const c of CASES) {
  test(`rswarm ${c.args.join(' ') || '(no command)'} exits ${c.code}`, () => {
    const r = rswarm(c.args);
    assert.equal(r.code, c.code, r.stderr);
    assert.match(r.stderr, c.stderr);
    if (c.args[1] === 'examples/hello-job.yaml') assert.equal(JSON.parse(r.stdout).name, 'hello');
  });
}

/**
 * @module `rswarm stress` and `rswarm compare` against a running `rswarm all-in-one` (separate
 * processes, simulated workers): the token is read from `.rswarm/token` by default, jobs go over
 * HTTP, the strategy is switched between compare runs and the cluster drains in between.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../support/control-plane-harness.js';

const ROOT = process.cwd();
const TSX = pathToFileURL(resolve(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = resolve(ROOT, 'cli/main.ts');

function rswarm(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...process.env, RSWARM_CONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res, rej) => {
    child.once('error', rej);
    child.once('close', (code) => res({ code, stdout, stderr }));
  });
}

test('stress and compare against a running all-in-one (--url, token from .rswarm/token)', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rswarm-stress-aio-'));
  const port = await freePort();
  const plane = rswarm(cwd, ['all-in-one'], {
    RSWARM_PORT: String(port),
    RSWARM_GATEWAY_PORT: '0',
    RSWARM_RUNTIME: 'simulated',
    RSWARM_WORKERS: '2',
    RSWARM_STORE: 'memory',
    RSWARM_QUEUE: 'memory',
    RSWARM_TOKEN: '',
    RSWARM_LOG_LEVEL: 'warn',
    RSWARM_MANAGER_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
    RSWARM_DISCOVERY_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
    // Every endpoint of its own: the enrolment socket's default (3101) may be another cluster's.
    RSWARM_ENROL_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
    RSWARM_JOB_MANAGER_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
  });
  const planeDone = finished(plane);
  try {
    let out = '';
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`all-in-one did not start: ${out}`)), 60_000);
      plane.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Workers\s+2 local simulated/.test(out)) {
          clearTimeout(timer);
          res();
        }
      });
      plane.once('close', () => rej(new Error(`all-in-one exited: ${out}`)));
    });
    assert.ok(existsSync(join(cwd, '.rswarm', 'token')));
    const url = `http://127.0.0.1:${port}`;

    const one = await finished(
      rswarm(cwd, [
        'stress',
        'incremental',
        '--url',
        url,
        '--coefficient',
        '1',
        '--constant',
        '1',
        '--turns',
        '3',
        '--interval',
        '0.5',
        '--tasks',
        '1',
        '--cores',
        '1-4',
        '--run-seconds',
        '0.5',
        '--out',
        'one',
      ]),
    );
    assert.equal(one.code, 0, one.stderr);
    // F(t) = t + 1 at t = 0, 0.5, 1 s is 1, 1.5, 2; running sums 1, 2.5, 4.5 round to 1, 3, 5: jobs 1, 2, 2.
    const r1 = JSON.parse(readFileSync(join(cwd, 'one', 'result.json'), 'utf8'));
    assert.equal(r1.jobs.length, 5);
    assert.ok(
      r1.jobs.every((j: any) => j.state === 'finished'),
      JSON.stringify(r1.jobs),
    );
    assert.equal(r1.fleet.length, 2);

    const cmp = await finished(
      rswarm(cwd, [
        'compare',
        '--strategies',
        'first-fit,best-fit',
        'bursty',
        '--url',
        url,
        '--lambda',
        '1',
        '--turns',
        '2',
        '--interval',
        '0.3',
        '--tasks',
        '1',
        '--run-seconds',
        '0.3',
        '--out',
        'cmp',
      ]),
    );
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.match(cmp.stderr, /waiting for the cluster to drain/);
    const a = JSON.parse(readFileSync(join(cwd, 'cmp', 'result-first-fit.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(cwd, 'cmp', 'result-best-fit.json'), 'utf8'));
    assert.deepEqual([a.strategy, b.strategy], ['first-fit', 'best-fit']);
    assert.deepEqual(
      a.jobs.map((j: any) => j.name),
      b.jobs.map((j: any) => j.name),
    );
    assert.ok([...a.jobs, ...b.jobs].every((j: any) => j.state === 'finished'));

    const wrongToken = await finished(
      rswarm(cwd, ['stress', 'steady', '--url', url, '--token', 'nope', '--turns', '1']),
    );
    assert.equal(wrongToken.code, 2);
    assert.match(wrongToken.stderr, /UNAUTHORIZED/);
  } finally {
    plane.kill('SIGTERM');
    await planeDone;
  }
});

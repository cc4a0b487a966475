/**
 * @module The embedded default is durable: `rswarm all-in-one` keeps its control state in a
 * directory, so after kill -9 and a start on the same directory every job that got a 202 is
 * there again, in the state it had reached, and new submissions carry on. Simulated workers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../support/control-plane-harness.js';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rswarm-aio-'));
const TOKEN = 'aio-restart-token';
let child: ChildProcess | undefined;

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test(
  'kill -9 of the all-in-one and a start on the same directory keep every accepted job',
  { timeout: 180_000 },
  async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RSWARM_PORT: String(port),
      RSWARM_GATEWAY_PORT: '0',
      RSWARM_TOKEN: TOKEN,
      RSWARM_STATE_DIR: join(dir, 'state'),
      RSWARM_WORKERS: '1',
      RSWARM_RUNTIME: 'simulated',
      RSWARM_LOG_LEVEL: 'warn',
      RSWARM_MANAGER_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
      RSWARM_DISCOVERY_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
      // Every endpoint of its own: the enrolment socket's default (3101) may be another cluster's.
      RSWARM_ENROL_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
      RSWARM_JOB_MANAGER_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
    };
    delete env['RSWARM_STATE'];
    const url = `http://127.0.0.1:${port}`;
    const start = (): ChildProcess => {
      const log = createWriteStream(join(dir, 'all-in-one.log'), { flags: 'a' });
      const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), MAIN, 'all-in-one'], {
        env,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      p.stdout?.pipe(log);
      p.stderr?.pipe(log);
      return p;
    };
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const healthy = () =>
      waitFor(
        'the all-in-one',
        async () =>
          (await api('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200 ? true : undefined,
        60_000,
        200,
      );

    child = start();
    await healthy();
    // 10 jobs that run for an hour (running on the one 32-core worker) and 5 that finish at once.
    const long = Array.from({ length: 10 }, (_, i) => `long-${i}`);
    const short = Array.from({ length: 5 }, (_, i) => `short-${i}`);
    for (const name of long)
      assert.equal(
        (
          await api('POST', '/api/v1/jobs', {
            name,
            tasks: [{ name: 't', image: 'busybox', cores: 1, memory: '64m', runSeconds: 3600 }],
          })
        ).status,
        202,
      );
    for (const name of short)
      assert.equal(
        (
          await api('POST', '/api/v1/jobs', {
            name,
            tasks: [{ name: 't', image: 'busybox', cores: 1, memory: '64m', runSeconds: 0.1 }],
          })
        ).status,
        202,
      );
    await waitFor('short jobs finished and long ones running', async () => {
      const states = await Promise.all(
        [...long, ...short].map(async (n) => (await api('GET', `/api/v1/jobs/${n}`)).body?.state),
      );
      return states.slice(0, 10).every((s) => s === 'running') &&
        states.slice(10).every((s) => s === 'finished')
        ? true
        : undefined;
    });

    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    child = start();
    await healthy();

    for (const name of long) {
      const r = await api('GET', `/api/v1/jobs/${name}`);
      assert.equal(r.status, 200, `${name} is back`);
      assert.ok(['scheduled', 'running'].includes(r.body.state), `${name}: ${r.body.state}`);
    }
    // Names of ended jobs stay taken; new work is accepted and runs.
    assert.equal(
      (
        await api('POST', '/api/v1/jobs', {
          name: 'short-0',
          tasks: [{ name: 't', image: 'busybox', cores: 1, memory: '64m' }],
        })
      ).status,
      409,
    );
    assert.equal(
      (
        await api('POST', '/api/v1/jobs', {
          name: 'after',
          tasks: [{ name: 't', image: 'busybox', cores: 1, memory: '64m', runSeconds: 0.1 }],
        })
      ).status,
      202,
    );
    await waitFor(
      'the new job to finish',
      async () => ((await api('GET', '/api/v1/jobs/after')).body?.state === 'finished' ? true : undefined),
      30_000,
    );
    await waitFor(
      'the long jobs running again',
      async () => {
        const states = await Promise.all(
          long.map(async (n) => (await api('GET', `/api/v1/jobs/${n}`)).body?.state),
        );
        return states.every((s) => s === 'running') ? true : undefined;
      },
      30_000,
    );
    assert.deepEqual((await api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  },
);

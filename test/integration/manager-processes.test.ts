/**
 * @module GET /api/v1/manager when every component runs in its own process (real FerretDB and
 * Redis, simulated workers): it lists all four components with versions and pids, the strategy,
 * the queue depth and workers by state, and marks a kill -9'd component unresponsive. Also:
 * switching the strategy while 100 jobs wait loses none of them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { waitFor } from '../support/control-plane-harness.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { SERVICES, dropQueueKeys, dropTestDatabase, mongoUrlFor } from '../support/services.js';
import type { WorkerView } from '../support/api-views.js';

const JOBS = 100;
const COMPONENTS = ['discovery', 'frontend', 'global-manager', 'job-manager'];
const db = `rswarm_mgr_${randomUUID().slice(0, 8)}`;
const mongoUrl = mongoUrlFor(db);
let cluster: ProcessCluster | undefined;

after(async () => {
  await cluster?.stopAll();
  await dropTestDatabase(mongoUrl);
  await dropQueueKeys(db);
});

test(
  'manager view across processes; a strategy switch while 100 jobs wait loses none',
  { timeout: 180_000 },
  async () => {
    const c = await ProcessCluster.create(
      { mongoUrl, redisUrl: SERVICES.redisUrl, queueName: db },
      // A join token of its own: workers of other clusters on this machine cannot join this one.
      { announceIntervalMs: 300, joinToken: db },
    );
    cluster = c;
    for (const name of ['global-manager', 'discovery', 'job-manager', 'frontend']) c.start(name, [name]);
    await waitFor(
      'FrontEnd',
      async () =>
        (await c.api('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200 ? true : undefined,
      60_000,
    );
    const view = await waitFor(
      'every component announced',
      async () => {
        const b = (await c.api('GET', '/api/v1/manager')).body;
        return b.components.length === 4 ? b : undefined;
      },
      60_000,
    );
    assert.deepEqual(
      view.components.map((x: any) => x.name),
      COMPONENTS,
    );
    for (const x of view.components) {
      assert.equal(x.version, '0.1.0', x.name);
      assert.equal(x.state, 'running', x.name);
      assert.equal(x.id, `${x.name}@${x.host}:${x.pid}`);
    }
    assert.equal(new Set(view.components.map((x: any) => x.pid)).size, 4, 'four processes');
    assert.ok(view.uptimeSeconds >= Math.max(...view.components.map((x: any) => x.uptimeSeconds)) - 1);
    assert.deepEqual(view.workers, { ready: 0, draining: 0, lost: 0, left: 0 });
    assert.equal(view.strategy, 'best-fit');
    assert.equal(view.retention.finishedJobsSeconds, 7 * 86_400);

    // No worker yet: every job waits.
    const names = Array.from({ length: JOBS }, (_, i) => `mgr-job-${i}`);
    for (const [i, name] of names.entries()) {
      const res = await c.api('POST', '/api/v1/jobs', {
        name,
        priority: i % 5,
        tasks: [{ name: 'a', image: 'busybox', cores: 1 + (i % 2), memory: '16m', runSeconds: 0.1 }],
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
    }
    const waiting = await c.api('GET', '/api/v1/manager');
    assert.equal(waiting.body.queueDepth, JOBS);
    assert.equal(waiting.body.jobs.waiting, JOBS);
    for (const strategy of ['first-fit', 'worst-fit', 'priority', 'best-fit-decreasing']) {
      const res = await c.api('PUT', '/api/v1/scheduler', { strategy });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assert.equal((await c.api('GET', '/api/v1/manager')).body.strategy, 'best-fit-decreasing');
    assert.equal((await c.api('GET', '/api/v1/manager')).body.queueDepth, JOBS, 'no job lost by the switch');

    for (const i of [1, 2]) {
      c.start(`worker-${i}`, ['worker'], {
        RSWARM_WORKER_ID: `mgr-w${i}`,
        RSWARM_WORKER_RUNTIME: 'simulated',
        RSWARM_WORKER_CPUSET: '0-63',
        RSWARM_WORKER_MEMORY: '4g',
      });
    }
    const jobs = await waitFor(
      'every job to finish',
      async () => {
        const all = await c.allJobs();
        return all.length === JOBS && all.every((j) => j.state === 'finished') ? all : undefined;
      },
      120_000,
      500,
    );
    assert.deepEqual(jobs.map((j) => j.name).sort(), [...names].sort());
    const client = new MongoClient(mongoUrl);
    try {
      const ends = await client.db().collection('events').find({ kind: 'job-finished' }).toArray();
      assert.equal(ends.length, JOBS, 'each job finished exactly once');
    } finally {
      await client.close();
    }
    // The jobs may all finish on the first worker to join, before the second has registered.
    const done = await waitFor('both workers ready', async () => {
      const view = (await c.api('GET', '/api/v1/manager')).body;
      return view.workers.ready === 2 ? view : undefined;
    });
    assert.equal(done.queueDepth, 0);
    assert.equal(done.jobs.finished, JOBS);
    assert.deepEqual(done.workers, { ready: 2, draining: 0, lost: 0, left: 0 });
    // Discovery writes a task's end before it frees the booking: wait for the last frees.
    await waitFor('books to settle', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body as WorkerView[];
      return ws.every((w) => (w.tasks ?? []).length === 0) ? true : undefined;
    });
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });

    // A crashed component stops announcing: it shows as unresponsive, not as running.
    await c.kill('discovery');
    await c.kill('worker-2');
    const after = await waitFor(
      'discovery unresponsive and a worker lost',
      async () => {
        const b = (await c.api('GET', '/api/v1/manager')).body;
        const d = b.components.find((x: any) => x.name === 'discovery');
        return d?.state === 'unresponsive' && b.workers.lost === 1 ? b : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      after.components.filter((x: any) => x.state === 'running').map((x: any) => x.name),
      ['frontend', 'global-manager', 'job-manager'],
    );
    assert.deepEqual(after.workers, { ready: 1, draining: 0, lost: 1, left: 0 });
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  },
);

/**
 * @module Losing a Docker worker agent (kill -9, its own process) with running containers, on
 * real FerretDB, Redis and dockerd: within 2 × the heartbeat timeout its job is re-queued, it
 * completes on the other worker, no core is ever booked twice, and when the killed agent comes
 * back the container it left behind (a task that was moved) is removed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import { dropQueueKeys, waitFor } from '../support/control-plane-harness.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { SERVICES } from '../support/services.js';

const HEARTBEAT_TIMEOUT_MS = 2000;
const run = randomUUID().slice(0, 8);
const db = `rswarm_loss_${run}`;
const mongoUrl = SERVICES.mongoUrl.replace(/\/([^/?]*)(\?|$)/, `/${db}$2`);
const W1 = `loss-${run}-w1`;
const W2 = `loss-${run}-w2`;
const docker = new Docker();
let cluster: ProcessCluster | undefined;

/** Containers the agents of this test created, by worker label. */
async function containersOf(worker: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`rswarm.worker=${worker}`] } });
}

after(async () => {
  await cluster?.stopAll();
  // Closing an agent leaves its containers running (a restarted agent adopts them): remove ours.
  for (const w of [W1, W2]) {
    for (const info of await containersOf(w)) await docker.getContainer(info.Id).remove({ force: true });
  }
  for (const n of await docker.listNetworks({ filters: { label: ['rswarm.job'] } })) {
    if (n.Labels?.['rswarm.job']?.startsWith(`loss-${run}`))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
  const client = new MongoClient(mongoUrl);
  await client
    .db()
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  await dropQueueKeys(db);
});

test(
  'kill -9 of a Docker worker agent: its job is re-queued, completes elsewhere, its containers are cleaned when it returns',
  { timeout: 150_000 },
  async () => {
    const c = await ProcessCluster.create(
      { mongoUrl, redisUrl: SERVICES.redisUrl, queueName: db },
      { heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, joinToken: db },
    );
    cluster = c;
    for (const name of ['global-manager', 'discovery', 'job-manager', 'frontend']) c.start(name, [name]);
    // Two agents on one engine with disjoint cores: nothing they run can overlap.
    const worker = (id: string, cpuset: string, name: string) =>
      c.start(name, ['worker'], {
        RSWARM_WORKER_ID: id,
        RSWARM_WORKER_RUNTIME: 'docker',
        RSWARM_WORKER_CPUSET: cpuset,
        RSWARM_WORKER_MEMORY: '256m',
      });
    worker(W1, '0', 'worker-1');
    worker(W2, '1', 'worker-2');
    await waitFor(
      'two ready workers',
      async () => {
        const r = await c.api('GET', '/api/v1/workers').catch(() => ({ body: [] as any[] }));
        return Array.isArray(r.body) && r.body.filter((w: any) => w.state === 'ready').length === 2
          ? true
          : undefined;
      },
      45_000,
      200,
    );

    // Every job pins nothing and needs the whole of one worker, so one runs on each.
    const job = (name: string, seconds: number) => ({
      name,
      tasks: [{ name: 't', image: SERVICES.testImage, cores: 1, memory: '32m', command: `sleep ${seconds}` }],
    });
    const names = [`loss-${run}-a`, `loss-${run}-b`];
    for (const n of names) assert.equal((await c.api('POST', '/api/v1/jobs', job(n, 5))).status, 202);
    const placed = await waitFor(
      'both jobs running',
      async () => {
        const js = await Promise.all(names.map(async (n) => (await c.api('GET', `/api/v1/jobs/${n}`)).body));
        return js.every((j) => j.tasks[0].state === 'running') ? js : undefined;
      },
      45_000,
      200,
    ).catch(async (err: Error) => {
      const js = await Promise.all(names.map(async (n) => (await c.api('GET', `/api/v1/jobs/${n}`)).body));
      throw new Error(`${err.message}: ${JSON.stringify(js)}; logs in ${c.dir}`);
    });
    const victim = placed.find((j) => j.tasks[0].worker === W1);
    assert.ok(victim, `one job runs on ${W1}: ${JSON.stringify(placed.map((j) => j.tasks[0].worker))}`);
    assert.equal((await containersOf(W1)).filter((x) => x.State === 'running').length, 1);

    // Watch the books the whole time: no core may ever be booked twice.
    let watching = true;
    const problems: string[] = [];
    const watcher = (async () => {
      while (watching) {
        const r = await c.api('GET', '/api/v1/manager/consistency').catch(() => undefined);
        for (const p of (r?.body?.problems as string[] | undefined) ?? [])
          if (/booked twice|bytes booked/.test(p)) problems.push(p);
        await new Promise((res) => setTimeout(res, 200));
      }
    })();

    await c.kill('worker-1');
    const killedAt = Date.now();
    const requeued = await waitFor(
      `${victim.name} re-queued within 2 × heartbeat timeout`,
      async () => {
        const j = (await c.api('GET', `/api/v1/jobs/${victim.name}`)).body;
        return j.tasks[0].attempts >= 2 ? j : undefined;
      },
      2 * HEARTBEAT_TIMEOUT_MS - (Date.now() - killedAt),
      100,
    );
    assert.match(requeued.failureReason, new RegExp(`worker ${W1} was lost`));
    const workers = (await c.api('GET', '/api/v1/workers')).body as any[];
    assert.equal(workers.find((w) => w.id === W1).state, 'lost');
    assert.deepEqual(workers.find((w) => w.id === W1).tasks, [], 'the lost worker holds no bookings');

    const done = await waitFor(
      'both jobs finished',
      async () => {
        const js = await Promise.all(names.map(async (n) => (await c.api('GET', `/api/v1/jobs/${n}`)).body));
        return js.every((j) => j.state === 'finished') ? js : undefined;
      },
      60_000,
      250,
    );
    const moved = done.find((j) => j.name === victim.name);
    assert.equal(moved.tasks[0].worker, W2, 'the re-queued job ran on the surviving worker');
    assert.equal(moved.tasks[0].attempts, 2);
    assert.equal(moved.tasks[0].exitCode, 0);

    // The killed agent's container of the moved task still runs (kill -9 leaves containers).
    // When the agent comes back, the manager's sync no longer wants it: it is stopped and removed.
    assert.ok((await containersOf(W1)).length >= 1, 'the crash left a container behind');
    worker(W1, '0', 'worker-1');
    await waitFor(
      `${W1} ready again and its stale container removed`,
      async () => {
        const w = ((await c.api('GET', '/api/v1/workers')).body as any[]).find((x) => x.id === W1);
        return w?.state === 'ready' && (await containersOf(W1)).length === 0 ? true : undefined;
      },
      30_000,
      250,
    );
    watching = false;
    await watcher;
    assert.deepEqual(problems, [], 'nothing was ever double-booked');
    const ws = await waitFor('books to settle', async () => {
      const list = (await c.api('GET', '/api/v1/workers')).body as any[];
      return list.every((w) => w.tasks.length === 0) ? list : undefined;
    });
    for (const w of ws) assert.equal(w.freeCores.length, w.totalCores, `${w.id}: all cores free`);
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  },
);

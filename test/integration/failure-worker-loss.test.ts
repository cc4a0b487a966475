/**
 * @module Losing a Docker worker agent (kill -9, its own process) with running containers, on
 * real FerretDB, Redis and dockerd. Back within the heartbeat timeout, an agent adopts its
 * running container (same container, same attempt). Away longer: within 2 × the heartbeat
 * timeout its job is re-queued, it completes on the other worker, no core is ever booked twice,
 * and when the killed agent comes back the container it left behind (a moved task) is removed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { MongoClient } from 'mongodb';
import { waitFor } from '../support/control-plane-harness.js';
import { ProcessCluster } from '../support/process-cluster.js';
import {
  SERVICES,
  dropQueueKeys,
  dropTestDatabase,
  mongoUrlFor,
  removeContainerIfPresent,
} from '../support/services.js';
import type { WorkerView } from '../support/api-views.js';

/** Long enough for a killed agent to be restarted (a fresh tsx process) before it counts as lost. */
const HEARTBEAT_TIMEOUT_MS = 5000;
const run = randomUUID().slice(0, 8);
const db = `rswarm_loss_${run}`;
const mongoUrl = mongoUrlFor(db);
const W1 = `loss-${run}-w1`;
const W2 = `loss-${run}-w2`;
const docker = new Docker();
let cluster: ProcessCluster | undefined;

/** Containers the agents of this test created, by worker label. */
async function containersOf(worker: string, job?: string): Promise<Docker.ContainerInfo[]> {
  const label = [`rswarm.worker=${worker}`, ...(job ? [`rswarm.job=${job}`] : [])];
  return docker.listContainers({ all: true, filters: { label } });
}

after(async () => {
  await cluster?.stopAll();
  // Closing an agent leaves its containers running (a restarted agent adopts them): remove ours.
  for (const w of [W1, W2]) {
    for (const info of await containersOf(w)) await removeContainerIfPresent(docker.getContainer(info.Id));
  }
  for (const n of await docker.listNetworks({ filters: { label: ['rswarm.job'] } })) {
    if (n.Labels?.['rswarm.job']?.startsWith(`loss-${run}`))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
  await dropTestDatabase(mongoUrl);
  await dropQueueKeys(db);
});

test(
  'kill -9 of Docker worker agents: adopted when back in time, else re-queued, completed elsewhere, cleaned on return',
  { timeout: 150_000 },
  async () => {
    const c = await ProcessCluster.create(
      { mongoUrl, redisUrl: SERVICES.redisUrl, queueName: db },
      { heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, joinToken: db },
    );
    cluster = c;
    for (const name of ['global-manager', 'discovery', 'job-manager', 'frontend']) c.start(name, [name]);
    const worker = (id: string, cpuset: string, name: string) =>
      c.start(name, ['worker'], {
        RSWARM_WORKER_ID: id,
        RSWARM_WORKER_RUNTIME: 'docker',
        RSWARM_WORKER_CPUSET: cpuset,
        RSWARM_WORKER_MEMORY: '256m',
      });
    // Two agents on one engine; each keeps its own books (W2's core 0 is W1's core 0 on the host).
    worker(W1, '0', 'worker-1');
    worker(W2, '0-1', 'worker-2');
    const workers = async (): Promise<WorkerView[]> => {
      const r = await c.api('GET', '/api/v1/workers').catch(() => ({ body: [] as WorkerView[] }));
      return Array.isArray(r.body) ? (r.body as WorkerView[]) : [];
    };
    await waitFor(
      'two ready workers',
      async () => ((await workers()).filter((w) => w.state === 'ready').length === 2 ? true : undefined),
      45_000,
      200,
    ).catch(async (err: Error) => {
      // Which worker is missing, and where its log is (a worker that never enrolled logs why).
      throw new Error(`${err.message}: ${JSON.stringify(await workers())}; logs in ${c.dir}`);
    });
    const jobBody = async (name: string): Promise<any> => (await c.api('GET', `/api/v1/jobs/${name}`)).body;
    const until = (name: string, ok: (j: any) => boolean, what: string, ms = 45_000): Promise<any> =>
      waitFor(
        `${name} ${what}`,
        async () => {
          const j = await jobBody(name);
          return j && ok(j) ? j : undefined;
        },
        ms,
        100,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(await jobBody(name))}; logs in ${c.dir}`);
      });
    const task = (seconds: number, extra: Record<string, unknown> = {}) => ({
      name: 't',
      image: SERVICES.testImage,
      cores: 1,
      memory: '32m',
      command: `sleep ${seconds}`,
      ...extra,
    });

    // The survivor runs on W2's core 1 for a while; the victim on W1 (W2 drained meanwhile).
    const survivor = `loss-${run}-survivor`;
    const victim = `loss-${run}-victim`;
    assert.equal(
      (await c.api('POST', '/api/v1/jobs', { name: survivor, tasks: [task(30, { node: W2, cpuset: '1' })] }))
        .status,
      202,
    );
    await until(survivor, (j) => j.tasks[0].state === 'running', 'running');
    assert.equal((await c.api('POST', `/api/v1/workers/${W2}/drain`, {})).status, 200);
    assert.equal((await c.api('POST', '/api/v1/jobs', { name: victim, tasks: [task(6)] })).status, 202);
    const placed = await until(victim, (j) => j.tasks[0].state === 'running', 'running');
    assert.equal(placed.tasks[0].worker, W1);
    assert.equal((await c.api('POST', `/api/v1/workers/${W2}/undrain`, {})).status, 200);

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

    // Away past the timeout: W1's job is re-queued within 2 × the timeout and runs on W2's core 0.
    await c.kill('worker-1');
    const killedAt = Date.now();
    const requeued = await until(
      victim,
      (j) => j.tasks[0].attempts >= 2,
      're-queued within 2 × heartbeat timeout',
      2 * HEARTBEAT_TIMEOUT_MS - (Date.now() - killedAt),
    );
    assert.match(requeued.failureReason, new RegExp(`worker ${W1} was lost while running t`));
    // Settlement re-queues the job and then frees the lost worker's bookings: wait for the second.
    const lostW1 = await waitFor('the lost worker to hold no bookings', async () => {
      const w = (await workers()).find((x) => x.id === W1);
      return w && (w.tasks ?? []).length === 0 ? w : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await workers()).find((x) => x.id === W1))}`);
    });
    assert.equal(lostW1.state, 'lost');
    assert.deepEqual(lostW1.tasks, [], 'the lost worker holds no bookings');
    const client = new MongoClient(mongoUrl);
    try {
      const lost = await client.db().collection('events').find({ job: victim, kind: 'task-state' }).toArray();
      assert.deepEqual(
        lost.map((e) => `${String(e['task'])}#${String(e['attempt'])}: ${String(e['detail'])}`),
        [`t#0: lost: worker ${W1} was lost`],
      );
    } finally {
      await client.close();
    }
    const moved = await until(victim, (j) => j.state === 'finished', 'finished elsewhere');
    assert.equal(moved.tasks[0].worker, W2);
    assert.equal(moved.tasks[0].attempts, 2);
    assert.equal(moved.tasks[0].exitCode, 0);
    // Back within the timeout: the restarted agent adopts its running container.
    const [before] = await containersOf(W2, survivor);
    await c.kill('worker-2');
    worker(W2, '0-1', 'worker-2');
    const mongo = new MongoClient(mongoUrl);
    try {
      await waitFor(
        `${W2} rejoined`,
        async () =>
          (await mongo.db().collection('events').countDocuments({ kind: 'worker-joined', worker: W2 })) === 2
            ? true
            : undefined,
        30_000,
        100,
      );
    } finally {
      await mongo.close();
    }
    const [adopted] = await containersOf(W2, survivor);
    assert.equal(adopted?.Id, before?.Id, 'the same container');
    assert.equal(adopted?.State, 'running');

    const kept = await jobBody(survivor);
    assert.equal(kept.tasks[0].state, 'running', 'the adopted task still runs');
    assert.equal(kept.tasks[0].attempts, 1, 'the adopted task was never re-queued');

    // kill -9 left W1's container of the moved task running. When the agent comes back, the
    // manager's sync no longer wants it: it is stopped and removed.
    assert.equal((await containersOf(W1)).length, 1, 'the crash left a container behind');
    worker(W1, '0', 'worker-1');
    await waitFor(
      `${W1} ready again and its stale container removed`,
      async () => {
        const w = (await workers()).find((x) => x.id === W1);
        return w?.state === 'ready' && (await containersOf(W1)).length === 0 ? true : undefined;
      },
      30_000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await containersOf(W1))}; logs in ${c.dir}`);
    });
    assert.equal((await c.api('DELETE', `/api/v1/jobs/${survivor}`)).status, 202);
    await until(survivor, (j) => j.state === 'cancelled', 'cancelled');
    watching = false;
    await watcher;
    assert.deepEqual(problems, [], 'nothing was ever double-booked');
    const settled = await waitFor('books to settle', async () => {
      const list = await workers();
      return list.every((w) => (w.tasks ?? []).length === 0) ? list : undefined;
    });
    for (const w of settled) assert.equal(w.freeCores.length, w.totalCores, `${w.id}: all cores free`);
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  },
);

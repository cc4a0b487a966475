/**
 * @module Leader failover with every component in its own process on real MongoDB (FerretDB) and
 * Redis: two JobManagers campaign for the lease, one leads; while 300 jobs flow, kill -9 the
 * leader, restart it (it stands by), and kill -9 it again as a standby. The other takes over from
 * snapshot + log; every job that got a 202 finishes exactly once, never re-run, and the
 * consistency check holds whenever it answers — during the load, not only after. The takeover time
 * is printed as a JSON line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { ZmqControlClient } from '../../core/transport/index.js';
import { freePort, waitFor } from '../support/control-plane-harness.js';
import type { WorkerView } from '../support/api-views.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { SERVICES, dropQueueKeys, dropTestDatabase, mongoUrlFor } from '../support/services.js';

const JOBS = 300;
const WORKERS = 3;
const CORES = 16;
const db = `rswarm_failover_${randomUUID().slice(0, 8)}`;
const mongoUrl = mongoUrlFor(db);
let cluster: ProcessCluster | undefined;
const probes: ZmqControlClient[] = [];

after(async () => {
  await Promise.all(probes.map((p) => p.close()));
  await cluster?.stopAll();
  await dropTestDatabase(mongoUrl);
  await dropQueueKeys(db);
  const { Redis } = await import('ioredis');
  const redis = new Redis(SERVICES.redisUrl);
  const keys = await redis.keys(`rswarm:lease:${db}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The id of the JobManager leading at `endpoint`, or undefined when it is not leading or gone. */
function leaderProbe(c: ProcessCluster, endpoint: string): () => Promise<string | undefined> {
  const client = c.controlClient([endpoint], { timeoutMs: 600, attemptTimeoutMs: 500 });
  probes.push(client);
  return async () => (await client.query({ kind: 'status' }).catch(() => undefined))?.leader ?? undefined;
}

test(
  'kill -9 of the leading JobManager while 300 jobs flow: a standby leads, nothing is lost or run twice',
  { timeout: 480_000 },
  async () => {
    const ep2 = `tcp://127.0.0.1:${await freePort()}`;
    const c = await ProcessCluster.create(
      { mongoUrl, redisUrl: SERVICES.redisUrl, queueName: db },
      { standbyJobManagerEndpoints: [ep2], leaseTtlMs: 1500, snapshotEveryEntries: 200 },
    );
    cluster = c;
    const jm = {
      'jm-a': { RSWARM_JOB_MANAGER_ID: 'jm-a', RSWARM_VALOR: '1' },
      'jm-b': { RSWARM_JOB_MANAGER_ID: 'jm-b', RSWARM_JOB_MANAGER_ENDPOINT: ep2 },
    } as const;
    const endpointOf = { 'jm-a': c.jobManagerEndpoint, 'jm-b': ep2 } as const;
    c.start('jm-a', ['job-manager'], jm['jm-a']);
    c.start('jm-b', ['job-manager'], jm['jm-b']);
    for (const name of ['global-manager', 'discovery', 'frontend']) c.start(name, [name]);
    for (let i = 1; i <= WORKERS; i++)
      c.start(`worker-${i}`, ['worker'], {
        RSWARM_WORKER_ID: `fo-w${i}`,
        RSWARM_WORKER_RUNTIME: 'simulated',
        RSWARM_WORKER_CPUSET: `0-${CORES - 1}`,
        RSWARM_WORKER_MEMORY: '16g',
      });
    await waitFor(
      'FrontEnd and a leader',
      async () =>
        (await c.api('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200 ? true : undefined,
      60_000,
    );
    await waitFor(
      'workers',
      async () =>
        (await c.api('GET', '/api/v1/workers')).body.filter((w: any) => w.state === 'ready').length ===
        WORKERS
          ? true
          : undefined,
      60_000,
    );
    const probe = { 'jm-a': leaderProbe(c, endpointOf['jm-a']), 'jm-b': leaderProbe(c, endpointOf['jm-b']) };
    const leader = await waitFor(
      'a leader',
      async () => (await probe['jm-a']()) ?? (await probe['jm-b']()),
      30_000,
    );
    assert.ok(leader === 'jm-a' || leader === 'jm-b', `leader ${leader}`);
    const standby = leader === 'jm-a' ? 'jm-b' : 'jm-a';

    // Consistency during the load: every answer must be ok (503 while nobody leads is allowed).
    const inconsistent: string[] = [];
    let checks = 0;
    let loading = true;
    const watcher = (async () => {
      while (loading) {
        const r = await c.api('GET', '/api/v1/manager/consistency').catch(() => ({ status: 0, body: null }));
        if (r.status === 200) {
          checks++;
          if (!r.body.ok) inconsistent.push(...(r.body.problems as string[]));
        }
        await sleep(200);
      }
    })();

    const accepted = new Set<string>();
    let refused503 = 0;
    const submit = (async () => {
      for (let i = 0; i < JOBS; i++) {
        const name = `fo-job-${i}`;
        const body = {
          name,
          tasks: [
            { name: 'a', image: 'busybox', cores: 2, memory: '64m', runSeconds: 0.2 + (i % 5) * 0.1 },
            { name: 'b', image: 'busybox', cores: 1, memory: '64m', runSeconds: 0.2 + (i % 3) * 0.1 },
          ],
        };
        // A client that retries a 503 (as Retry-After asks): a 409 after a 503 means the first
        // attempt was kept after all.
        for (let attempt = 0; ; attempt++) {
          const res = await c.api('POST', '/api/v1/jobs', body);
          if (res.status === 202 || (res.status === 409 && attempt > 0)) {
            accepted.add(name);
            break;
          }
          assert.equal(res.status, 503, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
          refused503++;
          await sleep(200);
        }
        await sleep(15);
      }
    })();
    const killedAt = await (async () => {
      while (accepted.size < 100) await sleep(20);
      await c.kill(leader);
      return Date.now();
    })();
    const newLeader = await waitFor('the standby to lead', () => probe[standby](), 60_000, 50);
    const takeoverMs = Date.now() - killedAt;
    assert.equal(newLeader, standby);
    console.log(
      JSON.stringify({
        test: 'failover',
        killed: leader,
        leader: newLeader,
        takeover_ms: takeoverMs,
        refused_503: refused503,
      }),
    );
    // The old leader comes back as a standby; then the standby is killed too, and comes back.
    c.start(leader, ['job-manager'], jm[leader]);
    await sleep(1500);
    await c.kill(leader);
    await sleep(300);
    c.start(leader, ['job-manager'], jm[leader]);
    assert.equal(await probe[standby](), standby, 'killing the standby changed nothing');
    await submit;

    const final = new Set(['finished', 'failed', 'cancelled']);
    const jobs = await waitFor(
      'every accepted job to end',
      async () => {
        const all = await c.allJobs();
        return all.length === accepted.size && all.every((j) => final.has(j.state)) ? all : undefined;
      },
      300_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; logs in ${c.dir}`);
    });
    loading = false;
    await watcher;
    assert.equal(accepted.size, JOBS, 'every job was accepted in the end');
    assert.deepEqual(
      jobs.filter((j) => j.state !== 'finished').map((j) => `${j.name}: ${j.state} ${j.failureReason}`),
      [],
      'every accepted job finished',
    );
    assert.deepEqual(
      jobs.filter((j) => j.tasks.some((t: any) => t.attempts !== 1)).map((j) => j.name),
      [],
      'no job ran twice',
    );
    assert.deepEqual(inconsistent, [], 'the books balanced at every check during the load');
    assert.ok(checks > 5, `consistency answered ${checks} times during the load`);
    const client = new MongoClient(mongoUrl);
    try {
      const events = await client
        .db()
        .collection('events')
        .find({ kind: { $in: ['job-finished', 'job-failed', 'job-cancelled'] } })
        .toArray();
      const ends = new Map<string, number>();
      for (const e of events) ends.set(String(e['job']), (ends.get(String(e['job'])) ?? 0) + 1);
      assert.deepEqual(
        [...ends].filter(([, n]) => n > 1),
        [],
        'no job ended twice',
      );
    } finally {
      await client.close();
    }
    const workers = await waitFor('books to settle', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body as WorkerView[];
      return ws.every((w) => (w.tasks ?? []).length === 0) ? ws : undefined;
    });
    for (const w of workers) assert.equal(w.freeCores.length, w.totalCores, `${w.id}: all cores free`);
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  },
);

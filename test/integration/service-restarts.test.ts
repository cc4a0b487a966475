/**
 * @module Restarts of the services under a running cluster: every component in its own process,
 * two JobManagers campaigning for the lease, on a private Redis and a private FerretDB (own ports,
 * so the shared test services are never touched). While jobs flow through simulated workers,
 * Redis is killed -9 and started again empty (no persistence: the lease and its token counter are
 * gone), then FerretDB is killed -9 and started again on its data. Every submission answers 202
 * or 503 with Retry-After (never a 500); every accepted job finishes exactly once; the consistency
 * check, polled every 200 ms during the load, never reports a problem (503 while nobody leads is
 * counted, not failed); afterwards the books balance. Figures are printed as one JSON line.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { ZmqControlClient } from '../../core/transport/index.js';
import { freePort, waitFor } from '../support/control-plane-harness.js';
import type { WorkerView } from '../support/api-views.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { PrivateFerretDb, PrivateRedis } from '../support/private-services.js';

/**
 * Jobs between two restarts, and after the last one: the flow runs until every restart is over
 * and this many more jobs were submitted (about 200-280 jobs in all).
 */
const JOBS_BETWEEN = 25;
/** Bounds the flow should the restarts never end; reaching it fails the test. */
const MAX_JOBS = 400;
const WORKERS = 3;
const CORES = 16;
/**
 * How long each service stays down in an outage: longer than the lease TTL (the leader's lease
 * lapses) and than the control link's 10 s patience for a leader, so clients see 503s, not only
 * slow 202s. A blip restarts at once (well within the TTL: a leader still trusts a lease Redis
 * has forgotten, and a FerretDB write in flight may have landed without an answer).
 */
const OUTAGE_MS = 12_000;
const LEASE_TTL_MS = 1500;
const db = `rswarm_restarts_${randomUUID().slice(0, 8)}`;
let cluster: ProcessCluster | undefined;
let redis: PrivateRedis | undefined;
let ferret: PrivateFerretDb | undefined;
let watcher: NodeJS.Timeout | undefined;
const probes: ZmqControlClient[] = [];

after(async () => {
  clearInterval(watcher);
  await Promise.all(probes.map((p) => p.close()));
  await cluster?.stopAll();
  await redis?.stop();
  await ferret?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The ids of the JobManagers that say they lead (asked on their own control links). */
function leadersAt(c: ProcessCluster, endpoints: readonly string[]): () => Promise<string[]> {
  const clients = endpoints.map((e) => c.controlClient([e], { timeoutMs: 600, attemptTimeoutMs: 500 }));
  probes.push(...clients);
  return async () => {
    const answers = await Promise.all(clients.map((p) => p.query({ kind: 'status' }).catch(() => undefined)));
    return answers.flatMap((a) => (a?.leader ? [a.leader] : []));
  };
}

/** One HTTP answer, with the header a 503 must carry. */
interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: any;
}

test(
  'kill -9 and restart of Redis, then of FerretDB, while jobs flow: nothing lost or run twice',
  { timeout: 300_000 },
  async () => {
    redis = await PrivateRedis.start();
    ferret = await PrivateFerretDb.start();
    const r = redis;
    const f = ferret;
    const mongoUrl = f.url(db);
    const ep2 = `tcp://127.0.0.1:${await freePort()}`;
    const c = await ProcessCluster.create(
      { mongoUrl, redisUrl: r.url, queueName: db },
      {
        election: 'redis',
        standbyJobManagerEndpoints: [ep2],
        leaseTtlMs: LEASE_TTL_MS,
        snapshotEveryEntries: 200,
      },
    );
    cluster = c;
    c.start('jm-a', ['job-manager'], { RSWARM_JOB_MANAGER_ID: 'jm-a', RSWARM_VALOR: '1' });
    c.start('jm-b', ['job-manager'], { RSWARM_JOB_MANAGER_ID: 'jm-b', RSWARM_JOB_MANAGER_ENDPOINT: ep2 });
    for (const name of ['global-manager', 'discovery', 'frontend']) c.start(name, [name]);
    for (let i = 1; i <= WORKERS; i++)
      c.start(`worker-${i}`, ['worker'], {
        RSWARM_WORKER_ID: `rs-w${i}`,
        RSWARM_WORKER_RUNTIME: 'simulated',
        RSWARM_WORKER_CPUSET: `0-${CORES - 1}`,
        RSWARM_WORKER_MEMORY: '16g',
      });
    const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
      const res = await fetch(c.url + path, {
        method,
        headers: {
          authorization: `Bearer ${c.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      const json = (res.headers.get('content-type') ?? '').includes('json');
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: text && json ? JSON.parse(text) : text,
      };
    };
    await waitFor(
      'FrontEnd and a leader',
      async () => ((await call('GET', '/healthz').catch(() => undefined))?.status === 200 ? true : undefined),
      60_000,
    );
    await waitFor(
      'workers',
      async () =>
        ((await call('GET', '/api/v1/workers')).body as WorkerView[]).filter((w) => w.state === 'ready')
          .length === WORKERS
          ? true
          : undefined,
      60_000,
    );

    // Consistency during the load, one request every 200 ms whether or not the last one answered
    // (up to 4 at a time): 200 must be ok, 503 (nobody leads) is counted, anything else (a 500, a
    // 429, the FrontEnd unreachable) fails the test.
    const inconsistent: string[] = [];
    const badConsistency: string[] = [];
    const consistency = { ok: 0, unavailable: 0 };
    /** When each consistency 200 came back, to see when a leader answered again. */
    const leaderAnsweredAt: number[] = [];
    const checks: Promise<void>[] = [];
    const check = async (): Promise<void> => {
      const res = await call('GET', '/api/v1/manager/consistency').catch((err: Error) => ({
        status: 0,
        retryAfter: null,
        body: err.message,
      }));
      if (res.status === 200) {
        consistency.ok++;
        leaderAnsweredAt.push(Date.now());
        if (!res.body.ok) inconsistent.push(...(res.body.problems as string[]));
      } else if (res.status === 503 && res.retryAfter !== null) consistency.unavailable++;
      else badConsistency.push(`${res.status} ${JSON.stringify(res.body)}`);
    };
    // At most a few checks in flight: a check waits up to 10 s for a leader, and the FrontEnd
    // counts a request from this address against its failed-authentication limit until answered.
    let inFlight = 0;
    watcher = setInterval(() => {
      if (inFlight >= 4) return;
      inFlight++;
      checks.push(check().finally(() => inFlight--));
    }, 200);

    const accepted = new Set<string>();
    /** When each 202 came back, to see when submissions flowed again after a restart. */
    const acceptedAt: number[] = [];
    let submitted = 0;
    let restartsDone = false;
    let flowEnded = false;
    const refused: { at: number; status: number; retryAfter: string | null; body: unknown }[] = [];
    const submit = (async () => {
      for (let i = 0, tail = 0; i < MAX_JOBS && tail < JOBS_BETWEEN; i++) {
        if (restartsDone) tail++;
        submitted++;
        const name = `rs-job-${i}`;
        const body = {
          name,
          tasks: [
            { name: 'a', image: 'busybox', cores: 2, memory: '64m', runSeconds: 0.2 + (i % 5) * 0.1 },
            { name: 'b', image: 'busybox', cores: 1, memory: '64m', runSeconds: 0.2 + (i % 3) * 0.1 },
          ],
        };
        // A client that retries a 503 as Retry-After asks: a 409 after a 503 means the first
        // attempt was kept after all.
        for (let attempt = 0; ; attempt++) {
          const res = await call('POST', '/api/v1/jobs', body).catch((err: Error) => ({
            status: 0,
            retryAfter: null,
            body: err.message,
          }));
          if (res.status === 202 || (res.status === 409 && attempt > 0)) {
            accepted.add(name);
            acceptedAt.push(Date.now());
            break;
          }
          refused.push({ at: Date.now(), status: res.status, retryAfter: res.retryAfter, body: res.body });
          if (res.status !== 503 || res.retryAfter === null) break; // reported below
          await sleep(200);
        }
        await sleep(15);
      }
    })().finally(() => {
      flowEnded = true;
    });

    const leaders = leadersAt(c, [c.jobManagerEndpoint, ep2]);
    /** Kills a service once `threshold` jobs are accepted, keeps it down `downMs`, restarts it. */
    const outage = async (service: PrivateRedis | PrivateFerretDb, downMs: number, threshold: number) => {
      while (accepted.size < threshold) {
        if (flowEnded) throw new Error(`the flow ended before ${threshold} jobs were accepted`);
        await sleep(20);
      }
      const before = await leaders();
      const killedAt = Date.now();
      await service.kill();
      await sleep(downMs);
      const restartedAt = Date.now();
      await service.start();
      const upAt = Date.now();
      const flowing = await waitFor(
        `a submission accepted after the ${service.name} restart`,
        () => Promise.resolve(acceptedAt.find((t) => t > upAt)),
        60_000,
        20,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; logs in ${c.dir}`);
      });
      const leading = await waitFor('a leader after the restart', () =>
        Promise.resolve(leaderAnsweredAt.find((t) => t > upAt)),
      );
      return {
        down_ms: upAt - killedAt,
        restart_ms: upAt - restartedAt,
        leader_answered_ms: leading - upAt,
        accepted_ms: flowing - upAt,
        refused_503: refused.filter((x) => x.at >= killedAt && x.at <= flowing).length,
        leader_before: before.join('+'),
        leader_after: (await leaders()).join('+'),
      };
    };
    const figures = {
      redis_blip: await outage(r, 0, JOBS_BETWEEN),
      redis: await outage(r, OUTAGE_MS, accepted.size + JOBS_BETWEEN),
      ferretdb_blip: await outage(f, 0, accepted.size + JOBS_BETWEEN),
      ferretdb: await outage(f, OUTAGE_MS, accepted.size + JOBS_BETWEEN),
    };
    restartsDone = true;
    await submit;

    const final = new Set(['finished', 'failed', 'cancelled']);
    const jobs = await waitFor(
      'every accepted job to end',
      async () => {
        const all = await c.allJobs();
        return all.length === accepted.size && all.every((j) => final.has(j.state)) ? all : undefined;
      },
      120_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; logs in ${c.dir}`);
    });
    clearInterval(watcher);
    await Promise.all(checks);
    console.log(
      JSON.stringify({
        test: 'service-restarts',
        jobs: submitted,
        ...figures,
        refused_503_total: refused.length,
        consistency_checks_ok: consistency.ok,
        consistency_503: consistency.unavailable,
      }),
    );
    assert.deepEqual(
      refused.filter((x) => x.status !== 503 || x.retryAfter === null),
      [],
      'a refused submission is a 503 with Retry-After',
    );
    assert.equal(accepted.size, submitted, 'every job was accepted in the end');
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
    assert.deepEqual(badConsistency, [], 'the consistency check answered 200 or 503 with Retry-After');
    assert.deepEqual(inconsistent, [], 'the books balanced at every check during the load');
    assert.ok(consistency.ok > 5, `consistency answered ${consistency.ok} times during the load`);
    const client = new MongoClient(mongoUrl);
    try {
      const events = await client
        .db()
        .collection('events')
        .find({ kind: { $in: ['job-finished', 'job-failed', 'job-cancelled'] } })
        .toArray();
      const ends = new Map<string, unknown[]>();
      for (const { _id, ...e } of events)
        ends.set(String(e['job']), [...(ends.get(String(e['job'])) ?? []), e]);
      assert.deepEqual(
        [...ends].filter(([, list]) => list.length > 1),
        [],
        'no job ended twice',
      );
    } finally {
      await client.close();
    }
    const workers = await waitFor('books to settle', async () => {
      const ws = (await call('GET', '/api/v1/workers')).body as WorkerView[];
      return ws.every((w) => (w.tasks ?? []).length === 0) ? ws : undefined;
    });
    for (const w of workers) {
      assert.equal(w.freeCores.length, w.totalCores, `${w.id}: all cores free`);
      assert.equal(w.freeMemoryBytes, w.totalMemoryBytes, `${w.id}: all memory free`);
    }
    assert.deepEqual((await call('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  },
);

/**
 * @module Prune and retention on real FerretDB (and Docker): a finished job's containers and
 * network are gone promptly; after retention its record, usage samples and events are deleted
 * while non-terminal jobs (and an ended job whose survivor still runs) stay; passes are
 * idempotent and two processes pruning at once delete each record once.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import Docker from 'dockerode';
import { pruneExpired, type RetentionPolicy } from '../../core/control/index.js';
import { createMongoStores } from '../../core/store/index.js';
import { startCluster, waitFor } from '../support/control-plane-harness.js';
import { SERVICES, dropTestDatabase, mongoUrlFor } from '../support/services.js';
import { aJob, aSample, aTask } from '../support/store-contract.js';

const run = randomUUID().slice(0, 8);
const docker = new Docker();
const DAY = 86_400_000;

describe('prune on FerretDB', () => {
  const db = `rswarm_prune_${run}`;
  const url = mongoUrlFor(db);
  after(() => dropTestDatabase(url));

  test('past retention: ended records go, live ones stay; two processes at once, then again: no change', async () => {
    const now = 100 * DAY;
    const policy: RetentionPolicy = {
      finishedJobsMs: DAY,
      usageSamplesMs: 2 * DAY,
      eventsMs: 3 * DAY,
      componentsMs: DAY,
    };
    // Two connections stand for two processes running the pruner.
    const [p1, p2] = [await createMongoStores(url), await createMongoStores(url)];
    try {
      const old = now - 2 * DAY;
      const recent = now - DAY / 2;
      const ran = aTask({ state: 'finished', workerId: 'w1', coreIds: [0], finishedAt: old });
      await p1.jobs.insert(aJob('old-finished', { state: 'finished', finishedAt: old, tasks: [ran] }));
      await p1.jobs.insert(aJob('old-failed', { state: 'failed', finishedAt: old, tasks: [ran] }));
      await p1.jobs.insert(aJob('old-cancelled', { state: 'cancelled', finishedAt: old }));
      await p1.jobs.insert(aJob('recent-finished', { state: 'finished', finishedAt: recent, tasks: [ran] }));
      await p1.jobs.insert(aJob('old-waiting', { state: 'waiting', submittedAt: 0 }));
      const live = aTask({ name: 't2', state: 'running', workerId: 'w1', coreIds: [1], startedAt: 0 });
      await p1.jobs.insert(aJob('old-running', { state: 'running', submittedAt: 0, tasks: [live] }));
      await p1.jobs.insert(
        aJob('old-failed-survivor', {
          state: 'failed',
          finishedAt: old,
          tasks: [{ ...ran, state: 'failed' }, live],
        }),
      );
      await p1.usage.append([
        aSample('w1', now - 3 * DAY),
        aSample('w1', now - DAY),
        aSample('w2', now - 4 * DAY),
      ]);
      await p1.events.append([
        { at: now - 4 * DAY, kind: 'job-finished', job: 'old-finished' },
        { at: now - DAY, kind: 'job-submitted', job: 'old-waiting' },
      ]);
      await p1.components.announce({
        id: 'discovery@h:1',
        name: 'discovery',
        version: '0.1.0',
        host: 'h',
        pid: 1,
        startedAt: 0,
        lastSeenAt: now - 2 * DAY,
      });

      const [a, b] = await Promise.all([pruneExpired(p1, now, policy), pruneExpired(p2, now, policy)]);
      assert.deepEqual(
        { jobs: a.jobs + b.jobs, usage: a.usageSamples + b.usageSamples, events: a.events + b.events },
        { jobs: 3, usage: 2, events: 1 },
        'each record deleted exactly once between the two',
      );
      const left = (await p1.jobs.list({}, 100)).items.map((j) => j.name).sort();
      assert.deepEqual(left, ['old-failed-survivor', 'old-running', 'old-waiting', 'recent-finished']);
      assert.deepEqual(
        (await p1.usage.range('w1', 0, now)).map((s) => s.at),
        [now - DAY],
      );
      assert.deepEqual(await p1.usage.range('w2', 0, now), []);
      assert.deepEqual(
        (await p1.events.list({}, 100)).map((e) => e.kind),
        ['job-submitted'],
      );
      assert.deepEqual(await p1.components.list(), []);
      assert.deepEqual(await pruneExpired(p2, now, policy), {
        jobs: 0,
        usageSamples: 0,
        events: 0,
        components: 0,
      });
    } finally {
      await p1.close();
      await p2.close();
    }
  });
});

describe('prune in a running control plane (Docker worker)', () => {
  test('containers and network go at once; the record and samples after retention; waiting jobs stay', async () => {
    const worker = `prune-${run}-w`;
    const c = await startCluster({
      realBackends: true,
      overrides: {
        retention: { finishedJobsMs: 1500, usageSamplesMs: 1500, eventsMs: 1500, pruneIntervalMs: 0 },
      },
      workers: [
        {
          workerId: worker,
          runtime: 'docker',
          coreIds: cpus().map((_c, i) => i),
          memoryBytes: 256 * 1024 ** 2,
        },
      ],
    });
    try {
      await waitFor('worker', async () =>
        (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
      );
      const name = `prune-${run}-job`;
      const net = `prune-net-${run}`;
      const res = await c.api('POST', '/api/v1/jobs', {
        name,
        network: { name: net, driver: 'bridge' },
        tasks: ['a', 'b'].map((t) => ({
          name: t,
          image: SERVICES.testImage,
          cores: 1,
          memory: '16m',
          command: 'sleep 1',
        })),
      });
      assert.equal(res.status, 202, res.text);
      // A job that can never be placed here: it stays waiting, and must survive every prune.
      const waiting = `prune-${run}-waiting`;
      await c.api('POST', '/api/v1/jobs', {
        name: waiting,
        tasks: [{ name: 't', image: SERVICES.testImage, cores: 1, memory: '16m', node: 'no-such-node' }],
      });
      await waitFor(
        'the network to exist while the job runs',
        async () => ((await docker.listNetworks({ filters: { name: [net] } })).length > 0 ? true : undefined),
        30_000,
      );
      await waitFor(
        `${name} finished`,
        async () =>
          (await c.api('GET', `/api/v1/jobs/${name}`)).body?.state === 'finished' ? true : undefined,
        30_000,
      );
      await waitFor('containers and network removed', async () => {
        const cs = await docker.listContainers({ all: true, filters: { label: [`rswarm.job=${name}`] } });
        const ns = (await docker.listNetworks({ filters: { name: [net] } })).filter((n) => n.Name === net);
        return cs.length === 0 && ns.length === 0 ? true : undefined;
      });
      const pruner = c.plane.pruner;
      assert.ok(pruner, 'the pruner runs with the GlobalManager');
      assert.equal((await pruner.pruneNow()).jobs, 0, 'within retention the record stays');
      assert.equal((await c.api('GET', `/api/v1/jobs/${name}`)).status, 200);
      assert.ok(
        (await c.plane.stores.usage.range(worker, 0, Date.now() + 1)).length > 0,
        'samples were taken',
      );

      await new Promise((r) => setTimeout(r, 1600));
      // The pruner's cut is its own now − retention, taken during pruneNow: at least this one.
      const pruneStartedAt = Date.now();
      const counts = await pruner.pruneNow();
      assert.equal(counts.jobs, 1);
      assert.ok(counts.usageSamples > 0 && counts.events > 0, JSON.stringify(counts));
      assert.equal((await c.api('GET', `/api/v1/jobs/${name}`)).status, 404);
      const w = (await c.api('GET', `/api/v1/jobs/${waiting}`)).body;
      assert.equal(w.state, 'waiting', 'a waiting job is never pruned');
      // Samples keep being taken meanwhile: only those before the pruner's cut must be gone.
      assert.equal((await c.plane.stores.usage.range(worker, 0, pruneStartedAt - 1500)).length, 0);
      assert.equal((await pruner.pruneNow()).jobs, 0, 'a repeat deletes nothing more');
      assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
    } finally {
      await c.close();
    }
  });
});

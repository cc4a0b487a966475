/**
 * @module A GlobalManager that died between marking a worker lost and settling its jobs leaves
 * a lost worker with bookings; the next GlobalManager settles it by each job's restart policy:
 * re-queued (default) or failed with the task `lost` (`requeueOnWorkerLoss: false`), the booking
 * freed either way, the lost task recorded. In-memory stores, a real GlobalManager on loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/clock/clock.js';
import type { RestartPolicy } from '../../core/job/job-model.js';
import { silentLogger } from '../../core/log/logger.js';
import type { JobRecord } from '../../core/model/records.js';
import { createMemoryStores } from '../../core/store/index.js';
import { GlobalManager } from '../../global-manager/global-manager.js';
import { consistencyProblems } from '../../frontend/control-plane-handlers.js';
import { waitFor } from '../support/control-plane-harness.js';
import { aJob, aJoin, aTask } from '../support/store-contract.js';

const cases: {
  what: string;
  policy: Partial<RestartPolicy>;
  check: (j: JobRecord) => void;
}[] = [
  {
    what: 're-queued by default',
    policy: {},
    check: (j) => {
      assert.equal(j.state, 'waiting');
      assert.equal(j.attempt, 1);
      assert.equal(j.tasks[0]?.state, 'pending');
    },
  },
  {
    what: 'failed with the task lost when requeueOnWorkerLoss is false',
    policy: { requeueOnWorkerLoss: false },
    check: (j) => {
      assert.equal(j.state, 'failed');
      assert.equal(j.attempt, 0);
      assert.equal(j.tasks[0]?.state, 'lost');
      assert.match(j.tasks[0]?.reason ?? '', /worker w1 was lost while running t1/);
    },
  },
];

for (const c of cases) {
  test(`a lost worker still holding bookings is settled by the next GlobalManager: ${c.what}`, async () => {
    const stores = createMemoryStores();
    const w = await stores.workers.join(aJoin('w1', { now: Date.now() }));
    const booking = {
      job: 'j',
      task: 't1',
      attempt: 0,
      coreIds: [0, 1],
      memoryBytes: 64 * 1024 ** 2,
      bookedAt: 0,
    };
    assert.ok(await stores.workers.replace({ ...w, state: 'lost', bookings: [booking] }, w.version));
    const running = aTask({ state: 'running', workerId: 'w1', coreIds: [0, 1], startedAt: 1 });
    const base = aJob('j', { state: 'running', tasks: [running] });
    await stores.jobs.insert({
      ...base,
      spec: { ...base.spec, restartPolicy: { ...base.spec.restartPolicy, ...c.policy } },
    });
    const nudges: string[] = [];
    const gm = await GlobalManager.create(
      {
        endpoint: 'tcp://127.0.0.1:0',
        joinToken: '',
        heartbeatIntervalMs: 50,
        heartbeatTimeoutMs: 200,
        usageSampleIntervalMs: 0,
      },
      {
        stores,
        nudges: { nudge: (r) => void nudges.push(r), close: () => Promise.resolve() },
        clock: systemClock,
        logger: silentLogger(),
      },
    );
    gm.run();
    try {
      const job = await waitFor('the job settled', async () => {
        const j = await stores.jobs.get('j');
        return j && j.state !== 'running' ? j : undefined;
      });
      c.check(job);
      assert.match(job.failureReason ?? '', /worker w1 was lost while running t1/);
      assert.deepEqual((await stores.workers.get('w1'))?.bookings, []);
      const lost = await stores.events.list({ job: 'j', kind: 'task-state' }, 10);
      assert.deepEqual(
        lost.map((e) => `${e.task}#${e.attempt}@${e.worker}: ${e.detail}`),
        ['t1#0@w1: lost: worker w1 was lost'],
      );
      assert.ok(nudges.includes('worker-lost'), 'the JobManager is nudged');
      assert.deepEqual(await consistencyProblems(stores), []);
    } finally {
      await gm.close();
    }
  });
}

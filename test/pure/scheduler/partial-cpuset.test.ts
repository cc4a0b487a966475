/**
 * @module Workers whose cores are not ids 0.. (an all-in-one host gives each agent a disjoint
 * cpuset: "1", or "4-7" of 8): the view spans ids up to the highest one (`totalCores`) but says how
 * many it has (`coreCount`), and every "could this ever fit" judgement uses that count, on the
 * per-call scheduler and the live index alike. The trial bug: a 2-core task waited forever on a
 * worker with cpuset "1" ("fewer free cores") instead of failing as NEVER_FITS. The view also
 * lists which ids it owns (`ownCoreIds`), so a pin to an id it lacks fails as
 * PIN_CORE_OUT_OF_RANGE instead of waiting for a core that is never free.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isWellFormedView } from '../../../core/scheduler/snapshot-facts.js';
import { LiveIndex } from '../../../core/scheduler/live-index.js';
import { scheduleOnLive } from '../../../core/scheduler/schedule-on-live.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES } from '../../../core/scheduler/strategy-registry.js';
import type { JobRequest, Plan, WorkerView } from '../../../core/scheduler/types.js';
import { referenceSchedule } from '../../support/reference-scheduler.js';
import { GiB, aJob, aSnapshot, aTask } from '../../support/scheduler-fixtures.js';

/** A worker owning exactly `coreIds` (all free), described as the control plane does. */
function cpusetWorker(id: string, coreIds: readonly number[], memoryBytes = 4 * GiB): WorkerView {
  return {
    id,
    ready: true,
    totalCores: coreIds.length === 0 ? 0 : Math.max(...coreIds) + 1,
    coreCount: coreIds.length,
    ownCoreIds: [...coreIds],
    freeCoreIds: [...coreIds],
    totalMemoryBytes: memoryBytes,
    freeMemoryBytes: memoryBytes,
  };
}

/** Plans with every strategy on both paths and the reference; all must agree. Returns one plan. */
function planEverywhere(workers: readonly WorkerView[], jobs: readonly JobRequest[]): Plan {
  let first: Plan | undefined;
  for (const strategy of STRATEGY_NAMES) {
    const plan = schedule(aSnapshot(workers, 3), jobs, strategy, { nowMs: 0 });
    const live = new LiveIndex();
    for (const w of workers) live.upsert(w);
    assert.deepEqual(scheduleOnLive(live, jobs, strategy, { nowMs: 0, snapshotVersion: 3 }), plan, strategy);
    assert.deepEqual(referenceSchedule(aSnapshot(workers, 3), jobs, strategy, { nowMs: 0 }), plan, strategy);
    first ??= plan;
  }
  return first as Plan;
}

describe('workers owning part of their core id space', () => {
  const cases: {
    name: string;
    workers: WorkerView[];
    job: JobRequest;
    code?: string;
    reason?: RegExp;
    counts?: Record<string, number>;
    placedOn?: readonly number[];
  }[] = [
    {
      name: 'cpuset "1" (id space 2) and a 2-core task: NEVER_FITS, counted as 1 core',
      workers: [cpusetWorker('w1', [1])],
      job: aJob({ jobId: 'j', tasks: [aTask({ taskId: 't', cores: 2 })] }),
      code: 'NEVER_FITS',
      reason: /more than any worker has in total: 1 worker has fewer cores in total/,
      counts: { fewerTotalCores: 1, lowTotalMemory: 0 },
    },
    {
      name: 'two agents "0" and "1" of a 2-core host and a 2-core task: NEVER_FITS for both',
      workers: [cpusetWorker('w1', [0]), cpusetWorker('w2', [1])],
      job: aJob({ jobId: 'j', tasks: [aTask({ taskId: 't', cores: 2 })] }),
      code: 'NEVER_FITS',
      reason: /more than any worker has in total: 2 workers have fewer cores in total/,
      counts: { fewerTotalCores: 2, lowTotalMemory: 0 },
    },
    {
      // Taken for 4 and 8 cores, three 3-core tasks would fit (two on "4-7") and wait forever.
      name: '"0-3" and "4-7" and a gang of 3 × 3 cores: GANG_NEVER_FITS on 8 cores in all',
      workers: [cpusetWorker('w1', [0, 1, 2, 3]), cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({ jobId: 'g', tasks: 3, cores: 3 }),
      code: 'GANG_NEVER_FITS',
      counts: { tasks: 3, workers: 2, coresNeeded: 9, clusterCores: 8 },
    },
    {
      // Each 6-core task is already more than any worker has: the per-task verdict comes first.
      name: '"0-3" and "4-7" and a gang of 2 × 6 cores: NEVER_FITS (no worker has 6 cores)',
      workers: [cpusetWorker('w1', [0, 1, 2, 3]), cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({ jobId: 'g', tasks: 2, cores: 6 }),
      code: 'NEVER_FITS',
      counts: { fewerTotalCores: 2, lowTotalMemory: 0 },
    },
    {
      name: '"4-7" and a 5-core task: NEVER_FITS',
      workers: [cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({ jobId: 'j', tasks: [aTask({ taskId: 't', cores: 5 })] }),
      code: 'NEVER_FITS',
      counts: { fewerTotalCores: 1, lowTotalMemory: 0 },
    },
    {
      name: '"4-7" and a 5-core task pinned to it: NEVER_FITS naming its 4 cores',
      workers: [cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({ jobId: 'j', tasks: [aTask({ taskId: 't', cores: 5, pin: { workerId: 'w2' } })] }),
      code: 'NEVER_FITS',
      reason: /more than its pinned worker w2 has in total \(4 cores/,
    },
    {
      name: 'cpuset "1" and a task pinned to core 0 there: PIN_CORE_OUT_OF_RANGE naming core 1',
      workers: [cpusetWorker('w1', [0]), cpusetWorker('w2', [1])],
      job: aJob({
        jobId: 'j',
        tasks: [aTask({ taskId: 't', cores: 1, pin: { workerId: 'w2', coreIds: [0] } })],
      }),
      code: 'PIN_CORE_OUT_OF_RANGE',
      reason: /^task t pins core 0 on worker w2, which has only core 1$/,
      counts: { outOfRange: 1 },
    },
    {
      name: '"4-5" and "8-9" (holes) and a pin to cores 5 and 6: only 6 is out of range',
      workers: [cpusetWorker('w', [4, 5, 8, 9])],
      job: aJob({
        jobId: 'j',
        tasks: [aTask({ taskId: 't', cores: 2, pin: { workerId: 'w', coreIds: [6, 5] } })],
      }),
      code: 'PIN_CORE_OUT_OF_RANGE',
      reason: /pins core 6 on worker w, which has only cores 4-5,8-9$/,
      counts: { outOfRange: 1 },
    },
    {
      name: '"4-7" and a task pinned to its cores 6 and 7: placed there',
      workers: [cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({
        jobId: 'j',
        tasks: [aTask({ taskId: 't', cores: 2, pin: { workerId: 'w2', coreIds: [7, 6] } })],
      }),
      placedOn: [6, 7],
    },
    {
      name: '"4-7" and a 4-core task: placed on cores 4-7',
      workers: [cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({ jobId: 'j', tasks: [aTask({ taskId: 't', cores: 4 })] }),
      placedOn: [4, 5, 6, 7],
    },
    {
      name: '"0-3" and "4-7" and a gang of 2 × 4 cores: placed, one per worker',
      workers: [cpusetWorker('w1', [0, 1, 2, 3]), cpusetWorker('w2', [4, 5, 6, 7])],
      job: aJob({ jobId: 'g', tasks: 2, cores: 4 }),
      placedOn: [0, 1, 2, 3, 4, 5, 6, 7],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const plan = planEverywhere(c.workers, [c.job]);
      if (c.placedOn !== undefined) {
        assert.deepEqual(plan.unplaced, []);
        assert.deepEqual(
          plan.placements.flatMap((p) => p.coreIds).sort((a, b) => a - b),
          c.placedOn,
        );
        return;
      }
      assert.equal(plan.placements.length, 0);
      const [unplaced] = plan.unplaced;
      assert.equal(unplaced?.code, c.code, unplaced?.reason);
      assert.equal(unplaced?.neverFits, true);
      if (c.reason) assert.match(unplaced.reason, c.reason);
      if (c.counts) assert.deepEqual(unplaced.counts, c.counts);
    });
  }

  test('a busy worker "4-7" keeps the task waiting (it could fit), not NEVER_FITS', () => {
    const busy = { ...cpusetWorker('w2', [4, 5, 6, 7]), freeCoreIds: [6, 7] };
    const plan = planEverywhere([busy], [aJob({ jobId: 'j', tasks: [aTask({ cores: 4 })] })]);
    assert.equal(plan.unplaced[0]?.code, 'NO_CAPACITY');
    assert.equal(plan.unplaced[0]?.neverFits, false);
  });

  test('a view is malformed when its core count leaves the id space or is below its free ids', () => {
    const good = cpusetWorker('w', [4, 5, 6, 7]);
    assert.equal(isWellFormedView(good), true);
    for (const coreCount of [9, -1, 1.5, Number.NaN, 3]) {
      assert.equal(isWellFormedView({ ...good, coreCount }), false, String(coreCount));
    }
    assert.equal(isWellFormedView({ ...good, coreCount: 8, ownCoreIds: undefined }), true);
    assert.equal(isWellFormedView({ ...good, coreCount: undefined, ownCoreIds: undefined }), true);
  });

  test('a view is malformed when its own ids are not its cores, ascending, in range, holding the free ones', () => {
    const good = cpusetWorker('w', [4, 5, 6, 7]);
    for (const ownCoreIds of [
      [4, 5, 6],
      [5, 4, 6, 7],
      [4, 5, 6, 8],
      [4, 4, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7.5],
    ]) {
      assert.equal(isWellFormedView({ ...good, ownCoreIds }), false, JSON.stringify(ownCoreIds));
    }
    assert.equal(isWellFormedView({ ...good, ownCoreIds: 'x' as unknown as number[] }), false);
    // A malformed view is a not-ready worker with no capacity, on every path.
    const plan = planEverywhere(
      [{ ...good, ownCoreIds: [0, 1, 2, 3] }],
      [aJob({ jobId: 'j', tasks: [aTask({ cores: 1 })] })],
    );
    assert.equal(plan.placements.length, 0);
  });
});

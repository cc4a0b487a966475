/**
 * @module The `spread` choice (anti-affinity per group, else fewest instances) and the avoid
 * filter (workers left out after failed starts): tables, the reference for every strategy, the
 * live index, and the anti-affinity invariant checked directly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LiveIndex } from '../../../core/scheduler/live-index.js';
import { scheduleOnLive } from '../../../core/scheduler/schedule-on-live.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES } from '../../../core/scheduler/strategy-registry.js';
import type {
  ClusterSnapshot,
  JobRequest,
  ScheduleOptions,
  WorkerView,
} from '../../../core/scheduler/types.js';
import { isWellFormedView } from '../../../core/scheduler/snapshot-facts.js';
import { referenceSchedule } from '../../support/reference-scheduler.js';
import {
  MiB,
  aJob,
  aSnapshot,
  aTask,
  aWorker,
  arbGroupOptions,
  arbGroupedBatchOf,
  arbNowMs,
  arbSnapshotOf,
} from '../../support/scheduler-fixtures.js';

const RUNS = 200;

const where = (plan: ReturnType<typeof schedule>): string[] =>
  plan.placements.map((p) => `${p.taskId}@${p.workerId}`);

const fleet = (n: number, cores = 8): WorkerView[] =>
  Array.from({ length: n }, (_, i) => aWorker({ id: `w${i}`, cores }));

describe('spread: table', () => {
  test('tasks of one group go to distinct workers while a worker without the group fits', () => {
    const plan = schedule(aSnapshot(fleet(3)), [aJob({ jobId: 'web', tasks: 3 })], 'spread', { nowMs: 0 });
    assert.deepEqual(where(plan), ['web_task1@w0', 'web_task2@w1', 'web_task3@w2']);
  });

  test('with more tasks than workers, each goes to the fewest instances (then most free cores)', () => {
    const plan = schedule(aSnapshot(fleet(2)), [aJob({ jobId: 'web', tasks: 5 })], 'spread', { nowMs: 0 });
    assert.deepEqual(where(plan), [
      'web_task1@w0',
      'web_task2@w1',
      'web_task3@w0',
      'web_task4@w1',
      'web_task5@w0',
    ]);
  });

  test('booked instances count: a worker already holding the group is chosen last', () => {
    const plan = schedule(aSnapshot(fleet(3)), [aJob({ jobId: 'a', tasks: 2 })], 'spread', {
      nowMs: 0,
      groupInstances: { a: { w0: 1, w2: 2 } },
    });
    assert.deepEqual(where(plan), ['a_task1@w1', 'a_task2@w0']);
  });

  test('a group free worker with fewer free cores beats a holder with more', () => {
    const workers = [aWorker({ id: 'big', cores: 16 }), aWorker({ id: 'small', cores: 2 })];
    const plan = schedule(aSnapshot(workers), [aJob({ jobId: 'a', tasks: 2 })], 'spread', { nowMs: 0 });
    assert.deepEqual(where(plan), ['a_task1@big', 'a_task2@small']);
  });

  test('anti-affinity gives way to capacity: the holder is used when nothing else fits', () => {
    const workers = [aWorker({ id: 'big', cores: 16 }), aWorker({ id: 'small', cores: 2 })];
    const plan = schedule(aSnapshot(workers), [aJob({ jobId: 'a', tasks: 2, cores: 4 })], 'spread', {
      nowMs: 0,
    });
    assert.deepEqual(where(plan), ['a_task1@big', 'a_task2@big']);
  });

  test('tasks of different jobs share a group by name; other groups do not repel', () => {
    const jobs = [
      aJob({ jobId: 'x', tasks: [aTask({ taskId: 't', cores: 1 })].map((t) => ({ ...t, group: 'svc' })) }),
      aJob({ jobId: 'y', tasks: [{ ...aTask({ taskId: 't' }), group: 'svc' }] }),
      aJob({ jobId: 'z', tasks: 1 }),
    ];
    const plan = schedule(aSnapshot(fleet(2)), jobs, 'spread', { nowMs: 0 });
    assert.deepEqual(
      plan.placements.map((p) => `${p.jobId}@${p.workerId}`),
      ['x@w0', 'y@w1', 'z@w0'],
    );
  });

  test('a rolled-back job gives its instances back', () => {
    const workers = [aWorker({ id: 'w0', cores: 2 }), aWorker({ id: 'w1', cores: 2 })];
    const jobs = [
      // Its second task fits nowhere: the job is rolled back, and its first instance with it.
      aJob({
        jobId: 'big',
        tasks: [
          { ...aTask({ taskId: 'a' }), group: 'g' },
          { ...aTask({ taskId: 'b', cores: 2, memoryBytes: 64 * MiB * 1024 }), group: 'g' },
        ],
      }),
      aJob({ jobId: 'next', tasks: [{ ...aTask({ taskId: 'c' }), group: 'g' }] }),
    ];
    const plan = schedule(aSnapshot(workers), jobs, 'spread', { nowMs: 0 });
    assert.deepEqual(where(plan), ['c@w0']);
  });

  test('pinned tasks ignore spread but count as instances', () => {
    const jobs = [
      aJob({ jobId: 'a', tasks: [aTask({ taskId: 'p', pin: { workerId: 'w0' } }), aTask({ taskId: 'q' })] }),
    ];
    const plan = schedule(aSnapshot(fleet(2)), jobs, 'spread', { nowMs: 0 });
    assert.deepEqual(where(plan), ['p@w0', 'q@w1']);
  });

  test('a malformed instance count is a bug in the caller: RangeError', () => {
    assert.throws(
      () =>
        schedule(aSnapshot(fleet(1)), [aJob()], 'spread', { nowMs: 0, groupInstances: { j0: { w0: 0 } } }),
      RangeError,
    );
  });

  test('a task group that is not a non-empty string is INVALID_REQUEST naming the field', () => {
    const job = aJob({ tasks: [{ ...aTask(), group: '' }] });
    const plan = schedule(aSnapshot(fleet(1)), [job], 'spread', { nowMs: 0 });
    assert.equal(plan.unplaced[0]?.code, 'INVALID_REQUEST');
    assert.equal(plan.unplaced[0]?.reason, 'task t0: group must be a non-empty string (got "")');
  });
});

describe('avoid: table', () => {
  test('an avoided worker is skipped by every strategy that chooses', () => {
    for (const strategy of STRATEGY_NAMES.filter((s) => s !== 'no-scheduler')) {
      const plan = schedule(aSnapshot(fleet(2)), [aJob({ jobId: 'a' })], strategy, {
        nowMs: 0,
        avoid: { a: ['w0'] },
      });
      assert.deepEqual(where(plan), ['a_task1@w1'], strategy);
    }
  });

  test('only the task group avoids: another group still uses the worker', () => {
    const plan = schedule(aSnapshot(fleet(1)), [aJob({ jobId: 'a' })], 'first-fit', {
      nowMs: 0,
      avoid: { other: ['w0'] },
    });
    assert.deepEqual(where(plan), ['a_task1@w0']);
  });

  test('when only avoided workers fit, NO_CAPACITY counts them in its reason', () => {
    const workers = [...fleet(2), aWorker({ id: 'w2', cores: 1 }), aWorker({ id: 'w3', ready: false })];
    const plan = schedule(aSnapshot(workers), [aJob({ jobId: 'a', cores: 2 })], 'best-fit', {
      nowMs: 0,
      avoid: { a: ['w0', 'w1', 'w3', 'ghost'] },
    });
    assert.deepEqual(plan.unplaced, [
      {
        jobId: 'a',
        taskId: 'a_task1',
        code: 'NO_CAPACITY',
        reason:
          'task a_task1 needs 2 cores and 0 B: 2 workers avoided after failed starts; 1 not ready; 1 has fewer free cores',
        counts: { notReady: 1, fewerCores: 1, lowMemory: 0, avoided: 2 },
        neverFits: false,
      },
    ]);
  });

  test('pinned tasks are not subject to avoid', () => {
    const job = aJob({ jobId: 'a', tasks: [aTask({ taskId: 'p', pin: { workerId: 'w0' } })] });
    const plan = schedule(aSnapshot(fleet(2)), [job], 'best-fit', { nowMs: 0, avoid: { a: ['w0'] } });
    assert.deepEqual(where(plan), ['p@w0']);
  });
});

/**
 * Replays a plan of single-task jobs (no rollbacks) and checks each unpinned spread placement:
 * on a worker without the group whenever one fits then, else on a fitting one with the fewest.
 */
function assertAntiAffinity(
  snapshot: ClusterSnapshot,
  jobs: readonly JobRequest[],
  options: ScheduleOptions,
  plan: ReturnType<typeof schedule>,
): void {
  const first = new Map<string, WorkerView>();
  for (const w of snapshot.workers) if (!first.has(w.id)) first.set(w.id, w);
  const state = new Map(
    [...first.values()]
      .filter((w) => isWellFormedView(w) && w.ready)
      .map((w) => [w.id, { cores: w.freeCoreIds.length, memory: w.freeMemoryBytes }]),
  );
  const count = new Map<string, number>();
  const key = (g: string, id: string): string => `${g}\u0000${id}`;
  for (const [g, byWorker] of Object.entries(options.groupInstances ?? {}))
    for (const [id, n] of Object.entries(byWorker)) if (state.has(id)) count.set(key(g, id), n);
  for (const p of plan.placements) {
    const job = jobs.find((j) => j.jobId === p.jobId)!;
    const task = job.tasks.find((t) => t.taskId === p.taskId)!;
    const group = task.group ?? job.jobId;
    if (task.pin === undefined) {
      const avoided = new Set(options.avoid?.[group] ?? []);
      const fitting = [...state].filter(
        ([id, s]) => !avoided.has(id) && s.cores >= task.cores && s.memory >= task.memoryBytes,
      );
      const n = (id: string): number => count.get(key(group, id)) ?? 0;
      assert.ok(!avoided.has(p.workerId), `placed on avoided worker ${p.workerId}`);
      const fewest = Math.min(...fitting.map(([id]) => n(id)));
      assert.equal(n(p.workerId), fewest, `${p.taskId} on ${p.workerId}, not on the fewest instances`);
      if (fitting.some(([id]) => n(id) === 0)) assert.equal(n(p.workerId), 0, 'anti-affinity broken');
    }
    const s = state.get(p.workerId)!;
    s.cores -= p.coreIds.length;
    s.memory -= p.memoryBytes;
    count.set(key(group, p.workerId), (count.get(key(group, p.workerId)) ?? 0) + 1);
  }
}

describe('spread and avoid: properties', () => {
  test('every strategy deep-equals the reference with groups, instances and avoided workers', () => {
    fc.assert(
      fc.property(
        arbSnapshotOf(0, 10),
        arbGroupedBatchOf(8),
        arbGroupOptions,
        arbNowMs,
        (snapshot, jobs, groups, nowMs) => {
          for (const strategy of STRATEGY_NAMES) {
            const options = { nowMs, ...groups };
            assert.deepStrictEqual(
              schedule(snapshot, jobs, strategy, options),
              referenceSchedule(snapshot, jobs, strategy, options),
              strategy,
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('spread: anti-affinity holds whenever a worker without the group fits, else fewest instances', () => {
    const singleTaskJobs = arbGroupedBatchOf(10).map((jobs) =>
      jobs.filter((j) => j.tasks.length > 0).map((j) => ({ ...j, tasks: j.tasks.slice(0, 1) })),
    );
    fc.assert(
      fc.property(arbSnapshotOf(1, 8), singleTaskJobs, arbGroupOptions, (snapshot, jobs, groups) => {
        const options = { nowMs: 0, ...groups };
        assertAntiAffinity(snapshot, jobs, options, schedule(snapshot, jobs, 'spread', options));
      }),
      { numRuns: RUNS },
    );
  });

  test('the live index gives the same plans with groups and leaves itself unchanged', () => {
    fc.assert(
      fc.property(
        arbSnapshotOf(0, 13),
        arbGroupedBatchOf(8),
        arbGroupOptions,
        arbNowMs,
        (snapshot, jobs, groups, nowMs) => {
          const live = new LiveIndex();
          for (const view of snapshot.workers) live.upsert(view);
          for (const strategy of STRATEGY_NAMES) {
            const before = live.inspect();
            const options = { nowMs, ...groups };
            const plan = scheduleOnLive(live, jobs, strategy, { ...options, snapshotVersion: 3 });
            assert.deepEqual(plan, schedule(live.snapshot(3), jobs, strategy, options), strategy);
            assert.deepEqual(live.inspect(), before, `${strategy} left the index changed`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

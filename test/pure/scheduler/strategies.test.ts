/**
 * @module Table-driven cases for every strategy: which worker and cores each task gets, the core
 * rule, all-or-nothing rollback, decreasing interleaving, pins, and priority with aging.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { schedule } from '../../../core/scheduler/schedule.js';
import type { JobRequest, Plan, WorkerView } from '../../../core/scheduler/types.js';
import { referenceSchedule } from '../../support/reference-scheduler.js';
import { GiB, MiB, aJob, aSnapshot, aTask, aWorker } from '../../support/scheduler-fixtures.js';

const NOW = 100_000;

/** Plans with both schedulers, checks they agree, and returns the fast plan. */
function plan(
  workers: readonly WorkerView[],
  jobs: readonly JobRequest[],
  strategy: string,
  agingPerSecond?: number,
): Plan {
  const options = agingPerSecond === undefined ? { nowMs: NOW } : { nowMs: NOW, agingPerSecond };
  const fast = schedule(aSnapshot(workers), jobs, strategy, options);
  assert.deepStrictEqual(
    fast,
    referenceSchedule(aSnapshot(workers), jobs, strategy, options),
    'fast ≠ reference',
  );
  return fast;
}

/** `jobId/taskId@worker:cpuset` for each placement, in plan order. */
function where(p: Plan): string[] {
  return p.placements.map((x) => `${x.taskId}@${x.workerId}:${x.coreIds.join(',')}`);
}

describe('choice: which worker gets a 3-core task', () => {
  // w0 has 4 free cores, w1 8, w2 exactly 3, w3 8 but not ready, w4 8 but too little memory.
  const fleet = [
    aWorker({ id: 'w0', freeCores: [0, 1, 2, 3] }),
    aWorker({ id: 'w1' }),
    aWorker({ id: 'w2', freeCores: [5, 6, 7] }),
    aWorker({ id: 'w3', ready: false }),
    aWorker({ id: 'w4', freeMemoryBytes: 10 * MiB }),
  ];
  const job = aJob({ jobId: 'j', tasks: [aTask({ taskId: 't', cores: 3, memoryBytes: 50 * MiB })] });
  const cases: [strategy: string, expected: string][] = [
    ['first-fit', 't@w0:0,1,2'],
    ['first-fit-decreasing', 't@w0:0,1,2'],
    ['best-fit', 't@w2:5,6,7'],
    ['best-fit-decreasing', 't@w2:5,6,7'],
    ['priority', 't@w2:5,6,7'],
    ['worst-fit', 't@w1:0,1,2'],
  ];
  for (const [strategy, expected] of cases) {
    test(`${strategy} → ${expected}`, () =>
      assert.deepEqual(where(plan(fleet, [job], strategy)), [expected]));
  }

  test('no-scheduler refuses an unpinned task', () => {
    const p = plan(fleet, [job], 'no-scheduler');
    assert.deepEqual(p.placements, []);
    assert.equal(p.unplaced[0]?.code, 'PIN_REQUIRED');
  });

  test('best-fit treats memory as a filter: the fewest free cores wins, not the least memory', () => {
    const workers = [
      aWorker({ id: 'a', freeCores: 6, freeMemoryBytes: 100 * MiB }),
      aWorker({ id: 'b', freeCores: 4, freeMemoryBytes: 16 * GiB }),
    ];
    assert.deepEqual(where(plan(workers, [job], 'best-fit')), ['t@b:0,1,2']);
  });

  test('ties go to the lowest worker index', () => {
    const workers = [aWorker({ id: 'z' }), aWorker({ id: 'a' })];
    for (const strategy of ['first-fit', 'best-fit', 'worst-fit']) {
      assert.deepEqual(where(plan(workers, [job], strategy)), ['t@z:0,1,2'], strategy);
    }
  });

  test('worst-fit spreads a job over workers', () => {
    const spread = aJob({ jobId: 's', tasks: 3, cores: 2 });
    assert.deepEqual(where(plan([aWorker({ id: 'a' }), aWorker({ id: 'b' })], [spread], 'worst-fit')), [
      's_task1@a:0,1',
      's_task2@b:0,1',
      's_task3@a:2,3',
    ]);
  });
});

describe('core rule: lowest-starting contiguous run, else the lowest free ids', () => {
  const cases: [free: number[], total: number, k: number, expected: number[]][] = [
    [[0, 1, 3, 4, 5], 8, 3, [3, 4, 5]],
    [[0, 1, 3, 4, 5], 8, 2, [0, 1]],
    [[0, 2, 4, 6], 8, 2, [0, 2]],
    [[1, 3, 4, 7], 8, 3, [1, 3, 4]],
    [Array.from({ length: 32 }, (_, i) => i), 32, 32, Array.from({ length: 32 }, (_, i) => i)],
    [[31], 32, 1, [31]],
    [[30, 31, 32, 33], 64, 4, [30, 31, 32, 33]],
    [[0, 40, 41, 42, 43, 44, 45], 64, 3, [40, 41, 42]],
    [[1, 35, 63, 64, 70], 96, 3, [1, 35, 63]],
  ];
  for (const [free, total, k, expected] of cases) {
    test(`free ${free.length > 8 ? `${free.length} ids` : free.join(',')} of ${total}, need ${k} → ${expected.length > 8 ? 'all' : expected.join(',')}`, () => {
      const p = plan(
        [aWorker({ id: 'w', cores: total, freeCores: free })],
        [aJob({ tasks: [aTask({ cores: k })] })],
        'first-fit',
      );
      assert.deepEqual(p.placements[0]?.coreIds, expected);
    });
  }
});

describe('all-or-nothing jobs', () => {
  test('a job that cannot be placed whole is rolled back; a later job uses the capacity (original bug #3)', () => {
    const jobs = [
      aJob({ jobId: 'x', tasks: [aTask({ taskId: 'x1', cores: 4 }), aTask({ taskId: 'x2', cores: 5 })] }),
      aJob({ jobId: 'y', tasks: [aTask({ taskId: 'y1', cores: 8 })] }),
    ];
    // (Not `priority`: there the failed job blocks the rest; see below.)
    for (const strategy of [
      'first-fit',
      'best-fit',
      'worst-fit',
      'first-fit-decreasing',
      'best-fit-decreasing',
    ]) {
      // v (not ready) makes x a gang that could run together, so it waits instead of failing.
      const p = plan([aWorker({ id: 'w' }), aWorker({ id: 'v', ready: false })], jobs, strategy);
      assert.deepEqual(where(p), ['y1@w:0,1,2,3,4,5,6,7'], strategy);
      assert.deepEqual(
        p.unplaced.map((u) => [u.jobId, u.taskId, u.code]),
        [['x', 'x2', 'NO_CAPACITY']],
      );
    }
  });

  test('rollback restores memory as well as cores', () => {
    const jobs = [
      aJob({
        jobId: 'x',
        tasks: [aTask({ taskId: 'x1', memoryBytes: 6 * GiB }), aTask({ taskId: 'x2', cores: 9 })],
      }),
      aJob({ jobId: 'y', tasks: [aTask({ taskId: 'y1', memoryBytes: 8 * GiB })] }),
    ];
    const workers = [
      aWorker({ id: 'w', memoryBytes: 8 * GiB }),
      aWorker({ id: 'v', cores: 4, memoryBytes: 8 * GiB }),
    ];
    assert.deepEqual(where(plan(workers, jobs, 'first-fit')), ['y1@w:0']);
  });

  test('the reason counts the capacity the job itself had tentatively taken', () => {
    const jobs = [aJob({ jobId: 'x', tasks: 2, cores: 8 })];
    const p = plan([aWorker({ id: 'w' }), aWorker({ id: 'v', ready: false })], jobs, 'best-fit');
    assert.deepEqual(p.unplaced[0]?.counts, { notReady: 1, fewerCores: 1, lowMemory: 0 });
  });
});

describe('decreasing orderings', () => {
  test('sort the whole batch, not each job: a later large job is placed before an earlier small one', () => {
    const jobs = [aJob({ jobId: 'small', cores: 1 }), aJob({ jobId: 'large', cores: 4 })];
    const fleet = [aWorker({ id: 'w', cores: 4 })];
    assert.deepEqual(where(plan(fleet, jobs, 'first-fit')), ['small_task1@w:0']);
    assert.deepEqual(where(plan(fleet, jobs, 'first-fit-decreasing')), ['large_task1@w:0,1,2,3']);
    assert.deepEqual(where(plan(fleet, jobs, 'best-fit-decreasing')), ['large_task1@w:0,1,2,3']);
  });

  test('equal cores order by memory descending, then stay in submission order', () => {
    const jobs = [
      aJob({ jobId: 'a', cores: 2, memoryBytes: 1 * MiB }),
      aJob({ jobId: 'b', cores: 2, memoryBytes: 5 * MiB }),
      aJob({ jobId: 'c', cores: 2, memoryBytes: 1 * MiB }),
    ];
    assert.deepEqual(where(plan([aWorker({ id: 'w' })], jobs, 'first-fit-decreasing')), [
      'b_task1@w:0,1',
      'a_task1@w:2,3',
      'c_task1@w:4,5',
    ]);
  });

  test('huge core counts (no worker to judge NEVER_FITS by) still sort largest first', () => {
    // With an empty fleet every job fails at the first task tried, which shows the order.
    const job = aJob({
      jobId: 'j',
      tasks: [
        aTask({ taskId: 'small', cores: 2 }),
        aTask({ taskId: 'huge', cores: 2 ** 50 }),
        aTask({ taskId: 'mid', cores: 2 ** 20 }),
      ],
    });
    assert.equal(plan([], [job], 'best-fit-decreasing').unplaced[0]?.taskId, 'huge');
    assert.equal(plan([], [job], 'best-fit').unplaced[0]?.taskId, 'small');
    const tie = aJob({
      jobId: 'tie',
      tasks: [
        aTask({ taskId: 'light', cores: 2 ** 50, memoryBytes: MiB }),
        aTask({ taskId: 'heavy', cores: 2 ** 50, memoryBytes: 5 * MiB }),
      ],
    });
    assert.equal(plan([], [tie], 'first-fit-decreasing').unplaced[0]?.taskId, 'heavy');
  });

  test('interleaved jobs: a failing task rolls back its job, skips its rest; later tasks see the freed capacity', () => {
    // Order: x1 (4), y1 (3), x2 (2), z1 (1). x2 fails, x1 is rolled back, z1 lands on the freed w0.
    const jobs = [
      aJob({ jobId: 'x', tasks: [aTask({ taskId: 'x1', cores: 4 }), aTask({ taskId: 'x2', cores: 2 })] }),
      aJob({ jobId: 'y', tasks: [aTask({ taskId: 'y1', cores: 3 })] }),
      aJob({ jobId: 'z', tasks: [aTask({ taskId: 'z1', cores: 1 })] }),
    ];
    const fleet = [aWorker({ id: 'w0', cores: 4 }), aWorker({ id: 'w1', cores: 3 })];
    const p = plan(fleet, jobs, 'first-fit-decreasing');
    assert.deepEqual(where(p), ['y1@w1:0,1,2', 'z1@w0:0']);
    assert.deepEqual(p.unplaced, [
      {
        jobId: 'x',
        taskId: 'x2',
        code: 'NO_CAPACITY',
        reason: 'task x2 needs 2 cores and 0 B: 2 workers have fewer free cores',
        counts: { notReady: 0, fewerCores: 2, lowMemory: 0 },
        neverFits: false,
      },
    ]);
  });
});

describe('pins, in every strategy', () => {
  const fleet = [aWorker({ id: 'w0' }), aWorker({ id: 'w1', freeCores: [0, 1, 2, 5, 6] })];
  for (const strategy of [
    'first-fit',
    'best-fit',
    'worst-fit',
    'best-fit-decreasing',
    'no-scheduler',
    'priority',
  ]) {
    test(`${strategy}: a pin wins over the choice; without coreIds the core rule picks`, () => {
      const jobs = [
        aJob({
          jobId: 'a',
          tasks: [aTask({ taskId: 'a1', cores: 2, pin: { workerId: 'w1', coreIds: [6, 5] } })],
        }),
        aJob({ jobId: 'b', tasks: [aTask({ taskId: 'b1', cores: 3, pin: { workerId: 'w1' } })] }),
      ];
      assert.deepEqual(where(plan(fleet, jobs, strategy)), ['a1@w1:5,6', 'b1@w1:0,1,2']);
    });
  }

  test('a job pinning cores that an earlier job of the batch took gets PIN_CORE_CONFLICT (original bug #6)', () => {
    const jobs = [
      aJob({
        jobId: 'a',
        tasks: [aTask({ taskId: 'a1', cores: 2, pin: { workerId: 'w0', coreIds: [0, 1] } })],
      }),
      aJob({
        jobId: 'b',
        tasks: [aTask({ taskId: 'b1', cores: 2, pin: { workerId: 'w0', coreIds: [1, 2] } })],
      }),
    ];
    const p = plan(fleet, jobs, 'no-scheduler');
    assert.deepEqual(where(p), ['a1@w0:0,1']);
    assert.equal(p.unplaced[0]?.code, 'PIN_CORE_CONFLICT');
    assert.deepEqual(p.unplaced[0]?.counts, { busy: 0, takenInPlan: 1 });
    assert.equal(p.unplaced[0]?.neverFits, false);
  });

  test('cores freed by a rolled-back job can be pinned by a later job', () => {
    const jobs = [
      aJob({
        jobId: 'a',
        tasks: [
          aTask({ taskId: 'a1', cores: 2, pin: { workerId: 'w0', coreIds: [0, 1] } }),
          aTask({ taskId: 'a2', cores: 8 }),
        ],
      }),
      aJob({
        jobId: 'b',
        tasks: [aTask({ taskId: 'b1', cores: 2, pin: { workerId: 'w0', coreIds: [1, 2] } })],
      }),
    ];
    // w1 (not ready) could hold a2, so job a is a gang that waits rather than one that never fits.
    const p = plan([aWorker({ id: 'w0' }), aWorker({ id: 'w1', ready: false })], jobs, 'best-fit');
    assert.deepEqual(where(p), ['b1@w0:1,2']);
    assert.deepEqual(
      p.unplaced.map((u) => u.taskId),
      ['a2'],
    );
  });

  test("explicit-core tasks go first in their job, so the core rule cannot take a sibling's pinned core", () => {
    const job = aJob({
      jobId: 'j',
      tasks: [
        aTask({ taskId: 'free', cores: 2 }),
        aTask({ taskId: 'pinned', cores: 1, pin: { workerId: 'w0', coreIds: [0] } }),
      ],
    });
    assert.deepEqual(where(plan([aWorker({ id: 'w0', cores: 3 })], [job], 'first-fit')), [
      'pinned@w0:0',
      'free@w0:1,2',
    ]);
  });
});

describe('priority', () => {
  const fleet = [aWorker({ id: 'w', cores: 4 })];
  const old = aJob({ jobId: 'old', cores: 4, priority: 0, submittedAtMs: 0 });
  const fresh = aJob({ jobId: 'fresh', cores: 4, priority: 5, submittedAtMs: 90_000 });

  test('higher effective priority first; aging lets an old job overtake a newer, higher one', () => {
    // At 100 s with 0.1/s: old = 0 + 10 = 10, fresh = 5 + 1 = 6.
    assert.deepEqual(where(plan(fleet, [fresh, old], 'priority', 0.1)), ['old_task1@w:0,1,2,3']);
    assert.deepEqual(where(plan(fleet, [old, fresh], 'priority', 0)), ['fresh_task1@w:0,1,2,3']);
  });

  test('ties: earlier submission, then jobId', () => {
    const a = aJob({ jobId: 'b', cores: 4, submittedAtMs: 5 });
    const b = aJob({ jobId: 'a', cores: 4, submittedAtMs: 5 });
    const c = aJob({ jobId: 'c', cores: 4, submittedAtMs: 7 });
    assert.deepEqual(where(plan(fleet, [c, a, b], 'priority', 0)), ['a_task1@w:0,1,2,3']);
  });

  test('a job waiting for capacity blocks lower-ranked jobs (no backfilling), unlike best-fit', () => {
    const big = aJob({ jobId: 'big', cores: 4, priority: 9 });
    const small = aJob({ jobId: 'small', cores: 1, priority: 1 });
    const busy = [aWorker({ id: 'w', cores: 4, freeCores: [0, 1] })];
    assert.deepEqual(where(plan(busy, [big, small], 'best-fit')), ['small_task1@w:0']);
    const p = plan(busy, [big, small], 'priority', 0);
    assert.deepEqual(p.placements, []);
    assert.deepEqual(
      p.unplaced.map((u) => u.code),
      ['NO_CAPACITY', 'PRIORITY_BLOCKED'],
    );
    assert.match(p.unplaced[1]!.reason, /behind job big \(effective priority 9\)/);
  });

  test('jobs that can never fit, and pinned jobs, do not block', () => {
    const never = aJob({ jobId: 'never', cores: 99, priority: 9 });
    const pinned = aJob({
      jobId: 'pinned',
      tasks: [aTask({ cores: 4, pin: { workerId: 'w' } })],
      priority: 8,
    });
    const small = aJob({ jobId: 'small', cores: 1, priority: 1 });
    const busy = [aWorker({ id: 'w', cores: 4, freeCores: [0, 1] })];
    const p = plan(busy, [never, pinned, small], 'priority', 0);
    assert.deepEqual(where(p), ['small_task1@w:0']);
    assert.deepEqual(
      p.unplaced.map((u) => u.code),
      ['NEVER_FITS', 'NO_CAPACITY'],
    );
  });
});

describe('malformed workers are treated as not ready with no capacity', () => {
  const cases: [string, WorkerView][] = [
    ['free memory above total', { ...aWorker({ id: 'bad' }), freeMemoryBytes: 17 * GiB }],
    ['unsorted free cores', { ...aWorker({ id: 'bad' }), freeCoreIds: [1, 0] }],
    ['free core out of range', { ...aWorker({ id: 'bad' }), freeCoreIds: [8] }],
    ['fractional cores', { ...aWorker({ id: 'bad' }), totalCores: 7.5 }],
    ['too many cores', aWorker({ id: 'bad', cores: 5000, freeCores: [] })],
  ];
  for (const [name, bad] of cases) {
    test(name, () => {
      const ok = aWorker({ id: 'ok', cores: 4, freeCores: 2 });
      const p = plan([bad, ok], [aJob({ cores: 3 }), aJob({ jobId: 'j1', cores: 2 })], 'best-fit');
      assert.deepEqual(where(p), ['j1_task1@ok:0,1']);
      assert.equal(p.unplaced[0]?.code, 'NO_CAPACITY');
      assert.deepEqual(p.unplaced[0]?.counts, { notReady: 1, fewerCores: 1, lowMemory: 0 });
      // Its totals are not trusted either: 5 cores fit no trusted worker.
      assert.equal(plan([bad, ok], [aJob({ cores: 5 })], 'best-fit').unplaced[0]?.code, 'NEVER_FITS');
    });
  }

  test('a repeated worker id: the first view owns the id, the repeat receives nothing', () => {
    const p = plan(
      [aWorker({ id: 'w', cores: 2 }), aWorker({ id: 'w', cores: 8 })],
      [aJob({ cores: 4 })],
      'best-fit',
    );
    assert.equal(p.unplaced[0]?.code, 'NEVER_FITS');
  });
});

/**
 * @module Every unplaced code, table-driven: the exact reason sentence, the counts and `neverFits`,
 * checked on the fast planner and the reference alike.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes } from '../../../core/scheduler/reasons.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import {
  UNPLACED_CODES,
  type JobRequest,
  type Unplaced,
  type WorkerView,
} from '../../../core/scheduler/types.js';
import { referenceSchedule } from '../../support/reference-scheduler.js';
import { GiB, MiB, aFleet, aJob, aSnapshot, aTask, aWorker } from '../../support/scheduler-fixtures.js';

interface ReasonCase {
  readonly name: string;
  readonly workers: readonly WorkerView[];
  readonly jobs: readonly unknown[];
  readonly strategy?: string;
  readonly expected: Unplaced;
}

const one = (tasks: JobRequest['tasks'], jobId = 'job1'): JobRequest => aJob({ jobId, tasks });
const base = aWorker({ id: 'w0' });

const CASES: readonly ReasonCase[] = [
  {
    name: 'NO_CAPACITY with counts per filter, largest first (the swarmkit-style example)',
    workers: [
      ...aFleet(2, { ready: false }),
      ...aFleet(12, { freeCores: 4 }).map((w, i) => ({ ...w, id: `small${i}` })),
      ...aFleet(3, { freeMemoryBytes: 10 * MiB }).map((w, i) => ({ ...w, id: `lowmem${i}` })),
    ],
    jobs: [
      one([
        aTask({ taskId: 'job1_task1' }),
        aTask({ taskId: 'job1_task2', cores: 8, memoryBytes: 50 * MiB }),
      ]),
    ],
    expected: {
      jobId: 'job1',
      taskId: 'job1_task2',
      code: 'NO_CAPACITY',
      reason:
        'task job1_task2 needs 8 cores and 50 MiB: 12 workers have fewer free cores; 3 have too little free memory; 2 not ready',
      counts: { notReady: 2, fewerCores: 12, lowMemory: 3 },
      neverFits: false,
    },
  },
  {
    name: 'NO_CAPACITY with an empty fleet (NEVER_FITS needs a worker to judge by)',
    workers: [],
    jobs: [one([aTask({ taskId: 't', cores: 1 })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'NO_CAPACITY',
      reason: 'task t needs 1 core and 0 B: the cluster has no workers',
      counts: { notReady: 0, fewerCores: 0, lowMemory: 0 },
      neverFits: false,
    },
  },
  {
    name: 'NO_CAPACITY on a pinned worker',
    workers: [aWorker({ id: 'w0', freeCores: 2, freeMemoryBytes: 512 * MiB })],
    jobs: [one([aTask({ taskId: 't', cores: 4, memoryBytes: GiB, pin: { workerId: 'w0' } })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'NO_CAPACITY',
      reason: 'task t needs 4 cores and 1 GiB on its pinned worker w0, which has 2 cores and 512 MiB free',
      counts: { fewerCores: 1, lowMemory: 0 },
      neverFits: false,
    },
  },
  {
    name: 'NO_CAPACITY on a pinned worker with explicit cores but too little memory',
    workers: [aWorker({ id: 'w0', freeMemoryBytes: 1.5 * GiB })],
    jobs: [
      one([aTask({ taskId: 't', cores: 1, memoryBytes: 2 * GiB, pin: { workerId: 'w0', coreIds: [3] } })]),
    ],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'NO_CAPACITY',
      reason: 'task t needs 1 core and 2 GiB on its pinned worker w0, which has 8 cores and 1.5 GiB free',
      counts: { fewerCores: 0, lowMemory: 1 },
      neverFits: false,
    },
  },
  {
    name: 'NEVER_FITS: larger than every worker, ready or not',
    workers: [
      aWorker({ id: 'a', cores: 8 }),
      aWorker({ id: 'b', cores: 32, memoryBytes: GiB, ready: false }),
    ],
    jobs: [one([aTask({ taskId: 't', cores: 16, memoryBytes: 2 * GiB })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'NEVER_FITS',
      reason:
        'task t needs 16 cores and 2 GiB, more than any worker has in total: 1 worker has fewer cores in total; 1 has too little memory in total',
      counts: { fewerTotalCores: 1, lowTotalMemory: 1 },
      neverFits: true,
    },
  },
  {
    name: 'NEVER_FITS on the pinned worker',
    workers: [base, aWorker({ id: 'big', cores: 64 })],
    jobs: [one([aTask({ taskId: 't', cores: 9, pin: { workerId: 'w0' } })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'NEVER_FITS',
      reason: 'task t needs 9 cores and 0 B, more than its pinned worker w0 has in total (8 cores, 16 GiB)',
      counts: { fewerTotalCores: 1, lowTotalMemory: 0 },
      neverFits: true,
    },
  },
  {
    name: 'PIN_UNKNOWN_WORKER',
    workers: [base],
    jobs: [one([aTask({ taskId: 't', pin: { workerId: 'nope' } })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'PIN_UNKNOWN_WORKER',
      reason: 'task t is pinned to worker "nope", which is not in the cluster',
      counts: {},
      neverFits: false,
    },
  },
  {
    name: 'PIN_NOT_READY',
    workers: [aWorker({ id: 'w0', ready: false })],
    jobs: [one([aTask({ taskId: 't', pin: { workerId: 'w0' } })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'PIN_NOT_READY',
      reason: 'task t is pinned to worker w0, which is not ready',
      counts: { notReady: 1 },
      neverFits: false,
    },
  },
  {
    name: 'PIN_NOT_READY for a malformed view',
    workers: [{ ...base, freeCoreIds: [3, 1] }],
    jobs: [one([aTask({ taskId: 't', pin: { workerId: 'w0', coreIds: [99] } })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'PIN_NOT_READY',
      reason: 'task t is pinned to worker w0, which is not ready',
      counts: { notReady: 1 },
      neverFits: false,
    },
  },
  {
    name: 'PIN_CORE_OUT_OF_RANGE (checked before readiness)',
    workers: [aWorker({ id: 'w0', ready: false })],
    jobs: [one([aTask({ taskId: 't', cores: 3, pin: { workerId: 'w0', coreIds: [12, 7, 8] } })])],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'PIN_CORE_OUT_OF_RANGE',
      reason: 'task t pins cores 8,12 on worker w0, which has only cores 0-7',
      counts: { outOfRange: 2 },
      neverFits: true,
    },
  },
  {
    name: 'PIN_CORE_CONFLICT inside one job (never fits)',
    workers: [base],
    jobs: [
      one([
        aTask({ taskId: 'a', cores: 2, pin: { workerId: 'w0', coreIds: [1, 2] } }),
        aTask({ taskId: 'b', cores: 3, pin: { workerId: 'w0', coreIds: [2, 3, 1] } }),
      ]),
    ],
    expected: {
      jobId: 'job1',
      taskId: 'b',
      code: 'PIN_CORE_CONFLICT',
      reason: 'task b pins cores 1-2 on worker w0, which task a of the same job pins too',
      counts: { sameJob: 2 },
      neverFits: true,
    },
  },
  {
    name: 'PIN_CORE_CONFLICT with busy cores and cores taken earlier in the plan',
    workers: [aWorker({ id: 'w0', freeCores: [0, 1, 2, 4] })],
    jobs: [
      one([aTask({ taskId: 'first', cores: 1, pin: { workerId: 'w0', coreIds: [1] } })], 'job0'),
      one([aTask({ taskId: 't', cores: 4, pin: { workerId: 'w0', coreIds: [0, 1, 3, 5] } })]),
    ],
    expected: {
      jobId: 'job1',
      taskId: 't',
      code: 'PIN_CORE_CONFLICT',
      reason:
        'task t pins cores 0-1,3,5 on worker w0, but cores 3,5 are busy; core 1 was taken earlier in this plan',
      counts: { busy: 2, takenInPlan: 1 },
      neverFits: false,
    },
  },
  {
    name: 'PIN_REQUIRED under no-scheduler',
    workers: [base],
    jobs: [one([aTask({ taskId: 'p', pin: { workerId: 'w0' } }), aTask({ taskId: 'u' })])],
    strategy: 'no-scheduler',
    expected: {
      jobId: 'job1',
      taskId: 'u',
      code: 'PIN_REQUIRED',
      reason: 'task u is not pinned; the no-scheduler strategy places only tasks that name a worker',
      counts: {},
      neverFits: false,
    },
  },
  {
    name: 'JOB_EMPTY',
    workers: [base],
    jobs: [one([])],
    expected: {
      jobId: 'job1',
      code: 'JOB_EMPTY',
      reason: 'job job1 has no tasks',
      counts: {},
      neverFits: true,
    },
  },
  {
    name: 'PRIORITY_BLOCKED',
    workers: [aWorker({ id: 'w0', freeCores: 2 })],
    jobs: [aJob({ jobId: 'big', cores: 4, priority: 3 }), aJob({ jobId: 'job1', cores: 1 })],
    strategy: 'priority',
    expected: {
      jobId: 'job1',
      code: 'PRIORITY_BLOCKED',
      reason:
        'waiting behind job big (effective priority 13), which does not fit yet; the priority strategy lets no lower-ranked job overtake it',
      counts: {},
      neverFits: false,
    },
  },
  {
    name: 'GANG_NEVER_FITS: each task fits a worker, the gang fits no set of them',
    workers: [aWorker({ id: 'w0' }), aWorker({ id: 'w1', freeCores: 0 })],
    jobs: [
      aJob({
        jobId: 'b',
        tasks: [6, 6, 3].map((cores, i) => aTask({ taskId: `b${i}`, cores, memoryBytes: 50 * MiB })),
      }),
    ],
    expected: {
      jobId: 'b',
      code: 'GANG_NEVER_FITS',
      reason:
        'job b needs 3 tasks of 6, 6 and 3 cores (150 MiB in all) as one gang: no way to place them all at once on the 2 workers of 8 cores and 16 GiB, even with every core free; the cluster can never run it',
      counts: { tasks: 3, workers: 2, coresNeeded: 15, clusterCores: 16 },
      neverFits: true,
    },
  },
  {
    name: 'GANG_NEVER_FITS: more than the whole cluster (a not-ready worker counts)',
    workers: [aWorker({ id: 'w0', cores: 4, memoryBytes: 512 * MiB }), aWorker({ id: 'w1', ready: false })],
    jobs: [aJob({ jobId: 'j', tasks: 4, cores: 4 })],
    strategy: 'first-fit-decreasing',
    expected: {
      jobId: 'j',
      code: 'GANG_NEVER_FITS',
      reason:
        'job j needs 4 tasks of 4, 4, 4 and 4 cores as one gang: more than the cluster has in all (12 cores and 16.5 GiB on 2 workers); the cluster can never run it',
      counts: { tasks: 4, workers: 2, coresNeeded: 16, clusterCores: 12 },
      neverFits: true,
    },
  },
  {
    name: 'GANG_NEVER_FITS: pinned tasks that overfill their worker together',
    workers: [aWorker({ id: 'w0' }), aWorker({ id: 'w1' })],
    jobs: [
      aJob({
        jobId: 'p',
        tasks: [
          aTask({ taskId: 'p1', cores: 5, pin: { workerId: 'w0' } }),
          aTask({ taskId: 'p2', cores: 5, pin: { workerId: 'w0' } }),
        ],
      }),
    ],
    strategy: 'priority',
    expected: {
      jobId: 'p',
      code: 'GANG_NEVER_FITS',
      reason:
        'job p needs 2 tasks of 5 and 5 cores as one gang: no way to place them all at once on the 2 workers of 8 cores and 16 GiB, even with every core free and the pinned tasks on their workers; the cluster can never run it',
      counts: { tasks: 2, workers: 2, coresNeeded: 10, clusterCores: 16 },
      neverFits: true,
    },
  },
];

/** Malformed requests: [name, job, expected reason]. All are INVALID_REQUEST, neverFits, no counts. */
const INVALID_CASES: readonly [string, unknown, string, string?][] = [
  ['not an object', null, 'job jobs[0]: jobs[0] is not an object'],
  ['empty jobId', { ...aJob(), jobId: '' }, 'job jobs[0]: jobId must be a non-empty string (got "")'],
  [
    'priority NaN',
    { ...aJob({ jobId: 'job1' }), priority: Number.NaN },
    'job job1: priority must be a finite number (got NaN)',
  ],
  [
    'submittedAtMs missing',
    { jobId: 'job1', priority: 0, tasks: [aTask()] },
    'job job1: submittedAtMs must be a finite number (got nothing)',
  ],
  [
    'tasks not an array',
    { ...aJob({ jobId: 'job1' }), tasks: 'x' },
    'job job1: tasks must be an array (got "x")',
  ],
  ['task not an object', one([7 as never]), 'job job1: tasks[0] is not an object'],
  [
    'taskId missing',
    one([{ cores: 1, memoryBytes: 0 } as never]),
    'job job1: tasks[0].taskId must be a non-empty string (got nothing)',
  ],
  [
    'duplicate taskId',
    one([aTask({ taskId: 'a' }), aTask({ taskId: 'a' })]),
    'task a: the taskId appears more than once in the job',
    'a',
  ],
  [
    'zero cores (the original ran it unpinned)',
    one([aTask({ taskId: 't', cores: 0 })]),
    'task t: cores must be a positive integer (got 0)',
    't',
  ],
  [
    'negative cores (the original gained capacity)',
    one([aTask({ taskId: 't', cores: -2 })]),
    'task t: cores must be a positive integer (got -2)',
    't',
  ],
  [
    'fractional cores',
    one([aTask({ taskId: 't', cores: 1.5 })]),
    'task t: cores must be a positive integer (got 1.5)',
    't',
  ],
  [
    'cores as a string',
    one([{ taskId: 't', cores: '2', memoryBytes: 0 } as never]),
    'task t: cores must be a positive integer (got "2")',
    't',
  ],
  [
    'negative memory',
    one([aTask({ taskId: 't', memoryBytes: -1 })]),
    'task t: memoryBytes must be an integer >= 0 (got -1)',
    't',
  ],
  [
    'pin without workerId',
    one([{ ...aTask({ taskId: 't' }), pin: {} } as never]),
    'task t: pin must be an object with a string workerId (got {})',
    't',
  ],
  [
    'pin with repeated cores',
    one([aTask({ taskId: 't', cores: 2, pin: { workerId: 'w0', coreIds: [1, 1] } })]),
    'task t: pin.coreIds must be distinct integers >= 0 (got [1,1])',
    't',
  ],
  [
    'pin with too few cores',
    one([aTask({ taskId: 't', cores: 2, pin: { workerId: 'w0', coreIds: [1] } })]),
    'task t: pin.coreIds lists 1 core but the task needs 2 cores',
    't',
  ],
];

function check(
  workers: readonly WorkerView[],
  jobs: readonly unknown[],
  strategy: string,
  expected: Unplaced,
): void {
  const batch = jobs as readonly JobRequest[];
  for (const planner of [schedule, referenceSchedule]) {
    const plan = planner(aSnapshot(workers), batch, strategy, { nowMs: 100_000 });
    assert.deepStrictEqual(
      plan.unplaced.find((u) => u.jobId === expected.jobId),
      expected,
      planner.name,
    );
  }
}

describe('unplaced reasons', () => {
  for (const c of CASES) test(c.name, () => check(c.workers, c.jobs, c.strategy ?? 'best-fit', c.expected));

  test('every code has a case above', () => {
    const covered = new Set([...CASES.map((c) => c.expected.code), 'INVALID_REQUEST']);
    assert.deepEqual(
      [...UNPLACED_CODES].filter((code) => !covered.has(code)),
      [],
    );
  });

  describe('INVALID_REQUEST (never a throw)', () => {
    for (const [name, job, reason, taskId] of INVALID_CASES) {
      test(name, () => {
        const jobId = reason.startsWith('job jobs[0]') ? 'jobs[0]' : 'job1';
        const expected: Unplaced = {
          jobId,
          ...(taskId === undefined ? {} : { taskId }),
          code: 'INVALID_REQUEST',
          reason,
          counts: {},
          neverFits: true,
        };
        check([base], [job], 'best-fit', expected);
      });
    }

    test('a repeated jobId: the first job is planned, the repeat is invalid', () => {
      const jobs = [aJob({ jobId: 'job1' }), aJob({ jobId: 'job1' })];
      const plan = schedule(aSnapshot([base]), jobs, 'best-fit', { nowMs: 0 });
      assert.equal(plan.placements.length, 1);
      assert.deepEqual(plan.unplaced, [
        {
          jobId: 'job1',
          code: 'INVALID_REQUEST',
          reason: 'job job1: the jobId appears more than once in the batch',
          counts: {},
          neverFits: true,
        },
      ]);
    });

    test('an invalid job consumes nothing: the valid jobs around it are planned', () => {
      const jobs = [
        aJob({ jobId: 'a', cores: 4 }),
        one([aTask({ cores: 0 })], 'bad'),
        aJob({ jobId: 'b', cores: 4 }),
      ];
      const plan = schedule(aSnapshot([base]), jobs, 'first-fit', { nowMs: 0 });
      assert.deepEqual(
        plan.placements.map((p) => p.jobId),
        ['a', 'b'],
      );
    });
  });
});

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [50 * MiB, '50 MiB'],
    [1.5 * GiB, '1.5 GiB'],
    [64 * GiB, '64 GiB'],
    [GiB + 1, '1 GiB'],
    [3 * 1024 ** 4, '3 TiB'],
  ];
  for (const [bytes, text] of cases) test(`${bytes} → ${text}`, () => assert.equal(formatBytes(bytes), text));
});

/**
 * @module The virtual-time simulator: exact waiting times on small fleets, never-fits, FIFO vs
 * priority, the JobManager's round window; properties on random workloads (no over-commit,
 * causality, conservation, pruned = full snapshot, determinism); a slice of the real trace.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { STRATEGY_NAMES } from '../../../core/scheduler/index.js';
import type { RunResult } from '../../../stress-client/run-result.js';
import { loadOpenbTrace, OPENB_DEFAULT_DIR } from '../../../stress-client/trace/openb-trace.js';
import {
  simulate,
  type SimProgress,
  type SimulateOptions,
} from '../../../stress-client/virtual-time/simulate.js';
import type { FleetWorker, Workload, WorkloadJob } from '../../../stress-client/workload.js';

const GIB = 1024 ** 3;

/** A job of `tasks` tasks of `cores` cores and 1 GiB each, running `run` seconds. */
function job(
  name: string,
  atS: number,
  cores: number,
  run: number,
  extra: Partial<WorkloadJob> = {},
  tasks = 1,
): WorkloadJob {
  return {
    name,
    arrivalMs: atS * 1000,
    priority: 0,
    tasks: Array.from({ length: tasks }, (_, i) => ({
      name: `t${i}`,
      cores,
      memoryBytes: GIB,
      runSeconds: run,
      image: 'rswarm/busybox:latest',
      command: undefined,
    })),
    ...extra,
  };
}

function workload(jobs: WorkloadJob[]): Workload {
  return { source: { kind: 'test', params: {}, seed: 0 }, jobs };
}

const twoByFour: FleetWorker[] = [
  { id: 'w1', cores: 4, memoryBytes: 4 * GIB },
  { id: 'w2', cores: 4, memoryBytes: 4 * GIB },
];

/** Waiting seconds by job name (null when never started). */
function waits(r: RunResult): Record<string, number | null> {
  return Object.fromEntries(
    r.jobs.map((j) => [j.name, j.startedMs === null ? null : (j.startedMs - j.submittedMs) / 1000]),
  );
}

describe('simulate: exact cases', () => {
  // A and B fill both workers; C waits for B (5 s) and takes half of w2; D needs a whole worker,
  // which w2 is again when C ends (8 s); E (6 s) fits beside C unless it may not overtake D.
  const mixed = workload([
    job('A', 0, 4, 10),
    job('B', 0, 4, 5),
    job('C', 1, 2, 3),
    job('D', 2, 4, 1),
    job('E', 6, 2, 1),
  ]);
  const cases: [string, Record<string, number>][] = [
    // best-fit and first-fit backfill: E overtakes the blocked D.
    ['best-fit', { A: 0, B: 0, C: 4, D: 6, E: 0 }],
    ['first-fit', { A: 0, B: 0, C: 4, D: 6, E: 0 }],
    // priority blocks E behind D: D gets w2 when C ends (8 s), E when D ends (9 s).
    ['priority', { A: 0, B: 0, C: 4, D: 6, E: 3 }],
  ];
  for (const [strategy, expected] of cases) {
    test(`2 workers × 4 cores, ${strategy}: waiting times`, () => {
      const r = simulate(mixed, twoByFour, strategy, { nowEpochMs: 0 });
      assert.deepEqual(waits(r), expected);
      assert.ok(r.jobs.every((j) => j.state === 'finished' && j.scheduledMs === j.startedMs));
      assert.equal(r.durationMs, 10_000);
    });
  }

  test('FIFO vs priority: a later, higher-priority job goes first only under priority', () => {
    const w = workload([job('A', 0, 4, 10), job('B', 1, 4, 1), job('C', 2, 4, 1, { priority: 10 })]);
    const one = [twoByFour[0]!];
    assert.deepEqual(waits(simulate(w, one, 'best-fit', { nowEpochMs: 0 })), { A: 0, B: 9, C: 9 });
    assert.deepEqual(waits(simulate(w, one, 'priority', { nowEpochMs: 0 })), { A: 0, B: 10, C: 8 });
  });

  test('a job larger than every worker fails at once with the reason', () => {
    const r = simulate(workload([job('big', 0, 8, 1), job('ok', 0, 1, 1)]), twoByFour, 'best-fit', {
      nowEpochMs: 0,
    });
    const big = r.jobs.find((j) => j.name === 'big')!;
    assert.equal(big.state, 'failed');
    assert.equal(big.startedMs, null);
    assert.match(big.unplacedReason ?? '', /can never be placed: .*8 cores/);
    assert.equal(r.jobs.find((j) => j.name === 'ok')!.state, 'finished');
  });

  test('all or nothing: a job that fits no empty fleet as a whole fails at once (issue 14)', () => {
    const r = simulate(
      workload([job('wide', 0, 3, 1, {}, 3), job('pair', 0, 3, 1, {}, 2)]),
      twoByFour,
      'best-fit',
      {
        nowEpochMs: 0,
      },
    );
    assert.deepEqual(
      r.jobs.map((j) => [j.name, j.state]),
      [
        ['wide', 'failed'],
        ['pair', 'finished'],
      ],
    );
    assert.equal(r.cluster.at(-1)!.queueDepth, 0);
  });

  test('maxRoundJobs: only the oldest waiting jobs are considered, as in the JobManager', () => {
    // big holds w1 for 100 s; wide needs both workers, so it waits for big; small fits w2 at once.
    const w = workload([job('big', 0, 4, 100), job('wide', 0, 4, 1, {}, 2), job('small', 1, 1, 1)]);
    const smallStarted = (r: ReturnType<typeof simulate>): number | null =>
      r.jobs.find((j) => j.name === 'small')!.startedMs;
    assert.equal(smallStarted(simulate(w, twoByFour, 'best-fit', { nowEpochMs: 0 })), 1000);
    const capped = simulate(w, twoByFour, 'best-fit', { nowEpochMs: 0, maxRoundJobs: 1 });
    assert.ok((smallStarted(capped) ?? 0) >= 100_000, 'small waits behind the oldest job');
  });

  test('samples: worker step functions and cluster totals', () => {
    const r = simulate(workload([job('A', 1, 3, 2)]), twoByFour, 'best-fit', { nowEpochMs: 0 });
    assert.deepEqual(
      r.workers.map((s) => [s.workerId, s.atMs, s.usedCores]),
      [
        ['w1', 0, 0],
        ['w2', 0, 0],
        ['w1', 1000, 3],
        ['w1', 3000, 0],
      ],
    );
    assert.deepEqual(
      r.cluster.map((c) => [c.atMs, c.queueDepth, c.placements, c.usedCores, c.totalCores]),
      [
        [0, 0, 0, 0, 8],
        [1000, 0, 1, 3, 8],
        [3000, 0, 0, 0, 8],
      ],
    );
  });

  test('bad options and unsorted workloads are refused by name', () => {
    const w = workload([job('A', 0, 1, 1)]);
    assert.throws(
      () => simulate(w, twoByFour, 'best-fit', { maxRoundJobs: 0 }),
      /maxRoundJobs must be a positive integer/,
    );
    assert.throws(() => simulate(w, twoByFour, 'best-fit', { agingPerSecond: -1 }), /agingPerSecond/);
    assert.throws(() => simulate(w, twoByFour, 'no-such'), /Unknown scheduling strategy/);
    assert.throws(
      () => simulate(workload([job('B', 2, 1, 1), job('A', 1, 1, 1)]), twoByFour, 'best-fit'),
      /sorted by arrivalMs/,
    );
  });
});

// Few distinct sizes, so fleets often hold interchangeable idle workers (what pruning drops).
const arbFleet = fc
  .array(fc.record({ cores: fc.constantFrom(1, 2, 4, 8), gib: fc.constantFrom(2, 8) }), {
    minLength: 1,
    maxLength: 6,
  })
  .map((ws) => ws.map((w, i) => ({ id: `w${i}`, cores: w.cores, memoryBytes: w.gib * GIB })));

const arbWorkload = fc
  .array(
    fc.record({
      at: fc.integer({ min: 0, max: 60 }),
      tasks: fc.array(
        fc.record({
          cores: fc.integer({ min: 1, max: 9 }),
          gib: fc.integer({ min: 0, max: 9 }),
          run: fc.integer({ min: 0, max: 40 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      priority: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 25 },
  )
  .map((rows) =>
    workload(
      rows
        .sort((a, b) => a.at - b.at)
        .map((r, i) => ({
          name: `j${String(i).padStart(2, '0')}`,
          arrivalMs: r.at * 1000,
          priority: r.priority,
          tasks: r.tasks.map((t, k) => ({
            name: `t${k}`,
            cores: t.cores,
            memoryBytes: t.gib * GIB,
            runSeconds: t.run,
            image: 'x',
            command: undefined,
          })),
        })),
    ),
  );

const arbStrategy = fc.constantFrom(...STRATEGY_NAMES.filter((s) => s !== 'no-scheduler'));
const comparable = (r: RunResult): unknown => ({ ...r, wallSeconds: 0, config: {} });

describe('simulate: properties', () => {
  test('no over-commit, causality, conservation of jobs and tasks', () => {
    fc.assert(
      fc.property(arbFleet, arbWorkload, arbStrategy, (fleet, w, strategy) => {
        const r = simulate(w, fleet, strategy, { nowEpochMs: 0 });
        const cap = new Map(fleet.map((f) => [f.id, f]));
        for (const s of r.workers) {
          const f = cap.get(s.workerId)!;
          assert.ok(s.usedCores >= 0 && s.usedCores <= f.cores, `cores of ${s.workerId} at ${s.atMs}`);
          assert.ok(s.usedMemoryBytes >= 0 && s.usedMemoryBytes <= f.memoryBytes, `memory of ${s.workerId}`);
        }
        let placedTasks = 0;
        for (const j of r.jobs) {
          assert.ok(['finished', 'failed', 'waiting'].includes(j.state), j.state);
          if (j.state === 'finished') {
            assert.ok(j.startedMs !== null && j.finishedMs !== null);
            assert.ok(j.startedMs >= j.submittedMs && j.finishedMs >= j.startedMs);
            placedTasks += j.tasks;
          } else {
            assert.equal(j.startedMs, null);
          }
        }
        assert.equal(r.jobs.length, w.jobs.length);
        assert.equal(
          r.cluster.reduce((n, c) => n + c.placements, 0),
          placedTasks,
        );
        const last = r.cluster.at(-1)!;
        assert.equal(last.usedCores, 0);
        assert.equal(last.queueDepth, r.jobs.filter((j) => j.state === 'waiting').length);
        assert.ok(r.cluster.every((c) => c.usedCores <= c.totalCores));
      }),
      { numRuns: 150 },
    );
  });

  test('the pruned snapshot gives the same run as the full one, and runs repeat exactly', () => {
    fc.assert(
      fc.property(arbFleet, arbWorkload, arbStrategy, (fleet, w, strategy) => {
        const pruned = simulate(w, fleet, strategy, { nowEpochMs: 0 });
        const full = simulate(w, fleet, strategy, { nowEpochMs: 0, pruneIdle: false });
        assert.ok(isDeepStrictEqual(comparable(pruned), comparable(full)));
        assert.ok(
          isDeepStrictEqual(comparable(simulate(w, fleet, strategy, { nowEpochMs: 0 })), comparable(pruned)),
        );
      }),
      { numRuns: 150 },
    );
  });
});

// Deep queues on one or two workers, pins (some to no worker), a round cap and aging: what the
// selective rounds must get exactly right.
const arbDeep = fc.record({
  fleet: fc
    .array(fc.record({ cores: fc.constantFrom(2, 4, 8), gib: fc.constantFrom(4, 8) }), {
      minLength: 0,
      maxLength: 2,
    })
    .map((ws) => ws.map((w, i) => ({ id: `w${i}`, cores: w.cores, memoryBytes: w.gib * GIB }))),
  jobs: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 30 }),
      tasks: fc.array(
        fc.record({
          cores: fc.integer({ min: 1, max: 9 }),
          gib: fc.integer({ min: 0, max: 9 }),
          run: fc.integer({ min: 0, max: 20 }),
          node: fc.option(fc.constantFrom('w0', 'w1', 'gone'), { freq: 8 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      priority: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 40 },
  ),
  maxRoundJobs: fc.option(fc.integer({ min: 1, max: 12 })),
  agingPerSecond: fc.constantFrom(0, 0.1, 7),
  nowEpochMs: fc.constantFrom(0, 1_700_000_000_123.5),
});

describe('simulate: selective rounds = planning the whole window every round', () => {
  const both = (w: Workload, fleet: FleetWorker[], strategy: string, o: SimulateOptions): void => {
    const fast = simulate(w, fleet, strategy, o);
    const all = simulate(w, fleet, strategy, { ...o, replanAll: true });
    assert.deepEqual(comparable(fast), comparable(all));
  };

  test('random workloads, every strategy: identical results (start times, samples, reasons)', () => {
    fc.assert(
      fc.property(arbFleet, arbWorkload, arbStrategy, (fleet, w, strategy) =>
        both(w, fleet, strategy, { nowEpochMs: 0 }),
      ),
      { numRuns: 200 },
    );
  });

  test('deep queues with pins, a round cap and aging: identical results', () => {
    fc.assert(
      fc.property(arbDeep, arbStrategy, (d, strategy) => {
        const w = workload(
          d.jobs
            .sort((a, b) => a.at - b.at)
            .map((r, i) => ({
              name: `j${String(i).padStart(2, '0')}`,
              arrivalMs: r.at * 1000,
              priority: r.priority,
              tasks: r.tasks.map((t, k) => ({
                name: `t${k}`,
                cores: t.cores,
                memoryBytes: t.gib * GIB,
                runSeconds: t.run,
                image: 'x',
                command: undefined,
                ...(t.node !== null ? { node: t.node } : {}),
              })),
            })),
        );
        both(w, d.fleet, strategy, {
          nowEpochMs: d.nowEpochMs,
          agingPerSecond: d.agingPerSecond,
          ...(d.maxRoundJobs !== null ? { maxRoundJobs: d.maxRoundJobs } : {}),
        });
      }),
      { numRuns: 300 },
    );
  });

  test('one-task jobs on one worker (the deep-queue fast paths): identical results', () => {
    const arbPods = fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 50 }),
        cores: fc.integer({ min: 1, max: 8 }),
        gib: fc.integer({ min: 0, max: 6 }),
        run: fc.integer({ min: 1, max: 30 }),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arbPods, arbStrategy, fc.option(fc.integer({ min: 1, max: 20 })), (pods, strategy, cap) => {
        const w = workload(
          pods
            .sort((a, b) => a.at - b.at)
            .map((p, i) =>
              job(`p${String(i).padStart(2, '0')}`, p.at, p.cores, p.run, {
                tasks: [
                  {
                    name: 't0',
                    cores: p.cores,
                    memoryBytes: p.gib * GIB,
                    runSeconds: p.run,
                    image: 'x',
                    command: undefined,
                  },
                ],
              }),
            ),
        );
        both(w, [{ id: 'w0', cores: 8, memoryBytes: 6 * GIB }], strategy, {
          nowEpochMs: 0,
          ...(cap !== null ? { maxRoundJobs: cap } : {}),
        });
      }),
      { numRuns: 300 },
    );
  });

  test('a started job has no unplaced reason (the JobManager clears it when it claims the job)', () => {
    const r = simulate(workload([job('A', 0, 4, 10), job('B', 0, 4, 1)]), [twoByFour[0]!], 'best-fit', {
      nowEpochMs: 0,
    });
    assert.deepEqual(
      r.jobs.map((j) => [j.name, j.startedMs, j.unplacedReason]),
      [
        ['A', 0, null],
        ['B', 10_000, null],
      ],
    );
  });

  test('progress: reported at the end with every job done', () => {
    const seen: SimProgress[] = [];
    simulate(workload([job('A', 0, 4, 10), job('B', 1, 4, 1)]), twoByFour, 'best-fit', {
      nowEpochMs: 0,
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(seen.at(-1), { nowMs: 10_000, lastArrivalMs: 1000, done: 2, jobs: 2, queueDepth: 0 });
  });
});

describe('simulate: a slice of the real trace', () => {
  test('400 pods on 1 % of the nodes: every pod ends, the same way twice, as on the full snapshot', async () => {
    const w = await loadOpenbTrace({
      dir: OPENB_DEFAULT_DIR,
      compression: 1,
      seed: 3,
      nodeSample: 0.01,
      limitPods: 400,
    });
    const fleet = w.fleet ?? [];
    const a = simulate(w, fleet, 'best-fit', { nowEpochMs: 0 });
    assert.equal(a.jobs.length, 400);
    assert.ok(
      a.jobs.every(
        (j) =>
          j.state === 'finished' ||
          (j.state === 'failed' && /can never be placed/.test(j.unplacedReason ?? '')),
      ),
    );
    assert.ok(
      isDeepStrictEqual(comparable(a), comparable(simulate(w, fleet, 'best-fit', { nowEpochMs: 0 }))),
    );
    assert.ok(
      isDeepStrictEqual(
        comparable(a),
        comparable(simulate(w, fleet, 'best-fit', { nowEpochMs: 0, pruneIdle: false })),
      ),
    );
    assert.equal(a.mode, 'virtual-time');
    assert.equal(a.source.kind, 'trace');
  });
});

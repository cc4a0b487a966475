/**
 * @module Run summaries: percentile definition, time-weighted means, every summary field on a
 * hand-computed run, thresholds and the terminal text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunResult } from '../../../stress-client/run-result.js';
import {
  checkThresholds,
  formatSeconds,
  formatSummary,
  summarise,
} from '../../../stress-client/report/summarise.js';
import { quantile, stepMean, timeStats } from '../../../stress-client/report/time-stats.js';

const GIB = 1024 ** 3;

describe('quantiles and step functions', () => {
  const cases: [number[], number, number][] = [
    [[1, 2, 3, 4], 0.5, 2.5],
    [[5], 0.99, 5],
    [[0, 10], 0.9, 9],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.9, 90.1],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.99, 99.01],
    [[3, 3, 3], 0.95, 3],
  ];
  for (const [values, q, expected] of cases) {
    test(`q${q} of ${values.length} values is ${expected}`, () => {
      assert.ok(Math.abs(quantile(values, q) - expected) < 1e-9, String(quantile(values, q)));
    });
  }

  test('stats are ordered and bounded by min and max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (xs) => {
          const s = timeStats(xs)!;
          assert.equal(s.count, xs.length);
          const chain = [s.min, s.p50, s.p90, s.p95, s.p99, s.max];
          for (let i = 1; i < chain.length; i++) assert.ok(chain[i - 1]! <= chain[i]!);
          assert.ok(s.mean >= s.min - 1e-9 && s.mean <= s.max + 1e-9);
        },
      ),
    );
    assert.equal(timeStats([]), null);
  });

  test('a step function is averaged over time, not over samples', () => {
    const steps = [
      { atMs: 0, value: 1 },
      { atMs: 1000, value: 0 },
      { atMs: 1001, value: 1 },
    ];
    assert.ok(Math.abs(stepMean(steps, 0, 2000) - 1999 / 2000) < 1e-12);
    assert.equal(stepMean([{ atMs: 500, value: 1 }], 0, 1000), 0.5);
    assert.equal(stepMean([{ atMs: 0, value: 0.3 }], 0, 0), 0.3);
  });
});

/**
 * Two 4-core workers for 10 s: `a` (3 cores, 8 GiB) runs 0–10 s on w1, `b` (1 core, 4 GiB)
 * waits 2 s and runs 2–6 s on w2, `c` fails, `d` is never placed.
 */
const RUN: RunResult = {
  mode: 'virtual-time',
  strategy: 'best-fit',
  source: { kind: 'test', params: {}, seed: 1 },
  config: {},
  startedAtEpochMs: 0,
  durationMs: 10_000,
  wallSeconds: 0.5,
  fleet: [
    { id: 'w1', cores: 4, memoryBytes: 8 * GIB },
    { id: 'w2', cores: 4, memoryBytes: 8 * GIB },
  ],
  jobs: [
    {
      name: 'a',
      tasks: 1,
      cores: 3,
      memoryBytes: 8 * GIB,
      state: 'finished',
      submittedMs: 0,
      scheduledMs: 0,
      startedMs: 0,
      finishedMs: 10_000,
      unplacedReason: null,
    },
    {
      name: 'b',
      tasks: 1,
      cores: 1,
      memoryBytes: 4 * GIB,
      state: 'finished',
      submittedMs: 0,
      scheduledMs: 2000,
      startedMs: 2000,
      finishedMs: 6000,
      unplacedReason: 'no room',
    },
    {
      name: 'c',
      tasks: 1,
      cores: 9,
      memoryBytes: 0,
      state: 'failed',
      submittedMs: 1000,
      scheduledMs: null,
      startedMs: null,
      finishedMs: null,
      unplacedReason: 'never',
    },
    {
      name: 'd',
      tasks: 2,
      cores: 8,
      memoryBytes: 0,
      state: 'waiting',
      submittedMs: 5000,
      scheduledMs: null,
      startedMs: null,
      finishedMs: null,
      unplacedReason: 'no room',
    },
  ],
  workers: [
    { workerId: 'w1', atMs: 0, usedCores: 3, usedMemoryBytes: 8 * GIB },
    { workerId: 'w2', atMs: 0, usedCores: 0, usedMemoryBytes: 0 },
    { workerId: 'w2', atMs: 2000, usedCores: 1, usedMemoryBytes: 4 * GIB },
    { workerId: 'w2', atMs: 6000, usedCores: 0, usedMemoryBytes: 0 },
    { workerId: 'w1', atMs: 10_000, usedCores: 0, usedMemoryBytes: 0 },
  ],
  cluster: [
    {
      atMs: 0,
      queueDepth: 1,
      placements: 1,
      usedCores: 3,
      totalCores: 8,
      usedMemoryBytes: 8 * GIB,
      totalMemoryBytes: 16 * GIB,
    },
    {
      atMs: 2000,
      queueDepth: 0,
      placements: 1,
      usedCores: 4,
      totalCores: 8,
      usedMemoryBytes: 12 * GIB,
      totalMemoryBytes: 16 * GIB,
    },
    {
      atMs: 5000,
      queueDepth: 2,
      placements: 0,
      usedCores: 4,
      totalCores: 8,
      usedMemoryBytes: 12 * GIB,
      totalMemoryBytes: 16 * GIB,
    },
    {
      atMs: 6000,
      queueDepth: 1,
      placements: 0,
      usedCores: 3,
      totalCores: 8,
      usedMemoryBytes: 8 * GIB,
      totalMemoryBytes: 16 * GIB,
    },
    {
      atMs: 10_000,
      queueDepth: 1,
      placements: 0,
      usedCores: 0,
      totalCores: 8,
      usedMemoryBytes: 0,
      totalMemoryBytes: 16 * GIB,
    },
  ],
};

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('summarise', () => {
  const s = summarise(RUN);

  test('job counts', () => {
    assert.deepEqual(s.jobs, { submitted: 4, finished: 2, failed: 1, rejected: 0, unplaced: 1 });
    const refused = {
      ...RUN.jobs[3]!,
      name: 'e',
      state: 'rejected',
      unplacedReason: 'NAME_INVALID: bad name',
    };
    const withRejected = summarise({ ...RUN, jobs: [...RUN.jobs, refused] });
    assert.deepEqual(withRejected.jobs, { submitted: 5, finished: 2, failed: 1, rejected: 1, unplaced: 1 });
    assert.match(formatSummary(withRejected), /1 never placed, 1 rejected at submission/);
  });

  test('times in seconds over the jobs that have them', () => {
    assert.deepEqual(s.times.waiting, {
      count: 2,
      min: 0,
      mean: 1,
      p50: 1,
      p90: 1.8,
      p95: 1.9,
      p99: 1.98,
      max: 2,
    });
    assert.equal(s.times.execution?.p50, 7);
    assert.equal(s.times.total?.max, 10);
  });

  test('utilisation, workers against the bound and fragmentation, time-weighted', () => {
    close(s.utilisation, (3 * 2 + 4 * 4 + 3 * 4) / 80, 'utilisation'); // 0.425
    close(s.memoryUtilisation, (8 * 2 + 12 * 4 + 8 * 4) / 160, 'memory'); // 0.6
    // Busy workers 1, 2, 1 over 2, 4, 4 s. From 2 to 6 s the 12 GiB in use need two 8 GiB
    // workers although the 4 cores fit one: the bound counts memory, so the ratio is 1 throughout
    // (cores alone would say 1.4).
    close(s.workersVsBound!, 1, 'workers vs bound');
    // Mix: a (3 c, 8 GiB), b (1 c, 4 GiB), d's two tasks (4 c, 0); c (9 cores) fits no worker.
    // 0–2 s: w1's free core is out of memory (1 fragmented), w2 empty (0): 1 of 5 free.
    // 2–6 s: w1 1; w2 has 3 c, 4 GiB free: only b fits, 3 of 4 tasks cannot (2.25): 3.25 of 4.
    // 6–10 s: 1 of 5. Fragmented core·s ÷ free core·s = (2 + 13 + 4) ÷ (10 + 16 + 20).
    close(s.fragmentation!, 19 / 46, 'fragmentation');
    // Used core·s (6 + 16 + 12) over the busy workers' core·s (w1 alone 4 × 2, both 8 × 4, w1 4 × 4).
    close(s.busyWorkerUtilisation!, 34 / 56, "busy workers' cores used");
    assert.equal(s.placementsPerSecond, null, 'virtual time has no placements/s');
    close(summarise({ ...RUN, mode: 'real-time' }).placementsPerSecond!, 0.2, 'placements/s');
    assert.equal(s.peakQueueDepth, 2);
    assert.equal(s.durationSeconds, 10);
    assert.equal(s.seed, 1);
    const unknownFleet = summarise({ ...RUN, fleet: [] });
    assert.equal(unknownFleet.workersVsBound, null);
    assert.equal(unknownFleet.fragmentation, null);
  });

  test('thresholds: one readable line per miss, none when met', () => {
    assert.deepEqual(checkThresholds(s, [{ metric: 'waiting', stat: 'p50', maxSeconds: 5 }]), []);
    const [line] = checkThresholds(s, [{ metric: 'waiting', stat: 'p95', maxSeconds: 1 }]);
    assert.equal(line, 'p95 waiting time 1.90 s exceeds the limit 1.00 s (over 2 jobs; max 2.00 s)');
    const none = summarise({ ...RUN, jobs: [RUN.jobs[3]!] });
    assert.match(
      checkThresholds(none, [{ metric: 'total', stat: 'max', maxSeconds: 60 }])[0]!,
      /max total time: no job has one \(1 submitted, 0 finished, 1 never placed\)/,
    );
  });

  test('terminal text names the strategy, the counts and the figures', () => {
    const text = formatSummary(s);
    assert.match(text, /virtual-time run, strategy best-fit, seed 1/);
    assert.match(text, /fragmented free cores 41\.3 %/);
    assert.match(
      text,
      /busy workers ÷ lower bound 1\.00, busy workers' cores used 60\.7 %; peak queue depth 2/,
    );
    assert.doesNotMatch(text, /placements\/s/);
    assert.match(text, /4 submitted, 2 finished, 1 failed, 1 never placed/);
    assert.match(text, /utilisation 42\.5 % cores, 60\.0 % memory/);
    assert.match(text, /waiting\s+2\s+0 s\s+1\.00 s/);
  });

  test('seconds are formatted with a readable unit', () => {
    assert.deepEqual([0, 0.0052, 0.0123, 0.5, 12, 600, 7200, 86_400 * 3].map(formatSeconds), [
      '0 s',
      '5.20 ms',
      '12 ms',
      '500 ms',
      '12.00 s',
      '10.0 min',
      '2.0 h',
      '3.0 d',
    ]);
  });
});

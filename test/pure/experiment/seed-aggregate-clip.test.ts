import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary } from '../../../stress-client/report/run-summary.js';
import { aggregateBySeed } from '../../../stress-client/report/seed-aggregate.js';

/** A run summary with only what the seed figures read (the rest is not looked at). */
function run(seed: number, workersVsBound: number, utilisation: number): RunSummary {
  return {
    seed,
    times: {},
    utilisation,
    memoryUtilisation: 0.5,
    workersVsBound,
    busyWorkerUtilisation: null,
    fragmentation: null,
    peakQueueDepth: 3,
    jobs: { finished: 10, unplaced: 0 },
  } as unknown as RunSummary;
}

test('seed intervals are clipped to what a run can reach: a ratio to its bound at 1, a percentage at 0 and 100', () => {
  // Two seeds: t(0.975, 1) = 12.71, so the raw intervals reach far past every limit.
  const [agg] = aggregateBySeed([
    { strategy: 'best-fit', summaries: [run(1, 1.0, 0.02), run(2, 3.0, 0.98)] },
  ]);
  const ratio = agg!.figures['workersVsBoundRatio']!;
  assert.equal(ratio.mean, 2);
  assert.equal(ratio.low, 1, 'busy workers are never fewer than the lower bound');
  assert.ok(ratio.high! > 3);
  const util = agg!.figures['coreUtilisationPercent']!;
  assert.equal(util.low, 0);
  assert.equal(util.high, 100);
});

/**
 * @module Packing measures: the cores-and-memory lower bound on busy workers (table and property:
 * never above the workers a real packing uses), FGD fragmentation of one worker and of a run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  fleetPrefix,
  fragmentedCores,
  packingMeasures,
  taskMix,
  workersLowerBound,
} from '../../../stress-client/report/packing-metrics.js';
import type { JobSample, RunResult } from '../../../stress-client/run-result.js';
import type { FleetWorker } from '../../../stress-client/workload.js';

const GIB = 1024 ** 3;
const w = (id: string, cores: number, gib: number): FleetWorker => ({ id, cores, memoryBytes: gib * GIB });

describe('workersLowerBound', () => {
  // One big worker with little memory, three small ones with much.
  const prefix = fleetPrefix([w('big', 96, 64), w('a', 8, 256), w('b', 8, 256), w('c', 8, 256)]);
  const cases: [string, number, number, number][] = [
    ['nothing used', 0, 0, 0],
    ['cores fit the largest worker', 90, 10, 1],
    ['cores need two workers', 100, 10, 2],
    ['memory needs two workers though cores fit one', 8, 300, 2],
    ['memory of all four', 8, 832, 4],
    ['more than the fleet: all of it', 200, 0, 4],
  ];
  for (const [what, cores, gib, expected] of cases) {
    test(`${what}: ${expected}`, () => {
      assert.equal(workersLowerBound(prefix, cores, gib * GIB), expected);
    });
  }

  test('never above the busy workers of any real packing, never below cores ÷ largest', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ cores: fc.integer({ min: 1, max: 64 }), gib: fc.integer({ min: 1, max: 512 }) }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        ),
        (sizes, uses) => {
          const fleet = sizes.map((s, i) => w(`w${i}`, s.cores, s.gib));
          // Worker i uses a share of its own capacity (a packing that fits by construction).
          let cores = 0;
          let memory = 0;
          let busy = 0;
          fleet.forEach((worker, i) => {
            const [c, m] = uses[i] ?? [0, 0];
            const usedCores = Math.floor(c * worker.cores);
            const usedMemory = Math.floor(m * worker.memoryBytes);
            if (usedCores > 0 || usedMemory > 0) busy++;
            cores += usedCores;
            memory += usedMemory;
          });
          const bound = workersLowerBound(fleetPrefix(fleet), cores, memory);
          assert.ok(bound <= busy, `bound ${bound} > busy ${busy}`);
          const largest = Math.max(...fleet.map((x) => x.cores));
          assert.ok(bound >= Math.ceil(cores / largest));
        },
      ),
    );
  });
});

describe('fragmentation', () => {
  const mix = [
    { cores: 1, memoryBytes: 4 * GIB, weight: 1 },
    { cores: 4, memoryBytes: 1 * GIB, weight: 3 },
  ];
  const cases: [string, number, number, number][] = [
    ['no free core', 0, 100, 0],
    ['every task fits', 8, 8, 0],
    ['too few cores for the 4-core kind', 2, 8, 2 * 0.75],
    ['too little memory for the 1-core kind', 8, 2, 8 * 0.25],
    ['neither fits', 2, 0.5, 2],
  ];
  for (const [what, cores, gib, expected] of cases) {
    test(`${what}: ${expected} fragmented cores`, () => {
      assert.equal(fragmentedCores(cores, gib * GIB, mix), expected);
    });
  }

  test('an empty mix fragments nothing; a result is bounded by the free cores', () => {
    assert.equal(fragmentedCores(5, GIB, []), 0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 }), (cores, gib) => {
        const f = fragmentedCores(cores, gib * GIB, mix);
        assert.ok(f >= 0 && f <= cores);
      }),
    );
  });

  const job = (name: string, tasks: number, cores: number, gib: number, state = 'finished'): JobSample => ({
    name,
    tasks,
    cores,
    memoryBytes: gib * GIB,
    state,
    submittedMs: 0,
    scheduledMs: null,
    startedMs: null,
    finishedMs: null,
    unplacedReason: null,
  });

  test('the mix: mean task per job, weighted by tasks; misfits and rejected jobs left out', () => {
    const fleet = [w('a', 8, 16)];
    assert.deepEqual(
      taskMix(
        [
          job('x', 2, 4, 2),
          job('y', 1, 2, 1),
          job('z', 1, 9, 1),
          job('r', 1, 1, 1, 'rejected'),
          job('v', 1, 2, 1),
        ],
        fleet,
      ),
      [{ cores: 2, memoryBytes: GIB, weight: 4 }],
    );
  });

  test('a run: fragmented core·s ÷ free core·s; busy ÷ bound over the time something runs', () => {
    // Two 4-core, 4 GiB workers; a 2-core 4 GiB task runs on w1 for the first half of 10 s.
    const result: RunResult = {
      mode: 'virtual-time',
      strategy: 'best-fit',
      source: { kind: 'test', params: {}, seed: 1 },
      config: {},
      startedAtEpochMs: 0,
      durationMs: 10_000,
      wallSeconds: 0,
      fleet: [w('w1', 4, 4), w('w2', 4, 4)],
      jobs: [job('a', 1, 2, 4)],
      workers: [
        { workerId: 'w1', atMs: 0, usedCores: 2, usedMemoryBytes: 4 * GIB },
        { workerId: 'w2', atMs: 0, usedCores: 0, usedMemoryBytes: 0 },
        { workerId: 'w1', atMs: 5000, usedCores: 0, usedMemoryBytes: 0 },
      ],
      cluster: [],
    };
    const m = packingMeasures(result, 10_000);
    // 0–5 s: w1's 2 free cores have no memory left (fragmented), w2's 4 are usable: 2 of 6.
    // 5–10 s: 0 of 8. (2 × 5) ÷ (6 × 5 + 8 × 5).
    assert.equal(m.fragmentation, 10 / 70);
    assert.equal(m.workersVsBound, 1);
    // 2 used of w1's 4 cores while it is the only busy worker.
    assert.equal(m.busyWorkerUtilisation, 0.5);
  });
});

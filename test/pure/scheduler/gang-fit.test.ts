/**
 * @module `gangFit` (issue 14, item 1) against an exhaustive oracle: `never` only when no
 * assignment of the tasks to the idle workers exists, `fits` only when one does; and in plans, a
 * gang is GANG_NEVER_FITS exactly when it can never run, never when it can.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  GANG_SEARCH_MAX_SHAPES,
  gangFit,
  sortShapes,
  type GangTask,
  type WorkerShape,
} from '../../../core/scheduler/gang-fit.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES } from '../../../core/scheduler/strategy-registry.js';
import { coresOf, type WorkerView } from '../../../core/scheduler/types.js';
import { arbGangBatch, arbGangFleet, gangCanRun } from '../../support/gang-arbitraries.js';
import { GiB, aFleet, aJob, aSnapshot, aTask, aWorker } from '../../support/scheduler-fixtures.js';

/** The shapes of a fleet and the gang tasks of a job, as the planner builds them. */
function shapesOf(workers: readonly WorkerView[]): WorkerShape[] {
  const shapes: WorkerShape[] = [];
  for (const w of workers) {
    const i = shapes.findIndex((s) => s.cores === coresOf(w) && s.memoryBytes === w.totalMemoryBytes);
    if (i < 0) shapes.push({ cores: coresOf(w), memoryBytes: w.totalMemoryBytes, count: 1 });
    else shapes[i] = { ...shapes[i]!, count: shapes[i]!.count + 1 };
  }
  return sortShapes(shapes);
}

function gangOf(
  tasks: readonly { cores: number; memoryBytes: number; pin?: { workerId: string } | undefined }[],
  workers: readonly WorkerView[],
): GangTask[] {
  return tasks.map(({ cores, memoryBytes, pin }) => {
    if (pin === undefined) return { cores, memoryBytes };
    const key = workers.findIndex((w) => w.id === pin.workerId);
    const w = workers[key]!;
    return { cores, memoryBytes, pin: { key, cores: coresOf(w), memoryBytes: w.totalMemoryBytes } };
  });
}

describe('gangFit', () => {
  test('the issue example: 6 + 6 + 3 cores never fit two 8-core workers; 4 × 4 cores do', () => {
    const shapes = [{ cores: 8, memoryBytes: 16 * GiB, count: 2 }];
    const t = (cores: number): GangTask => ({ cores, memoryBytes: 0 });
    assert.equal(gangFit([t(6), t(6), t(3)], shapes), 'never');
    assert.equal(gangFit([t(4), t(4), t(4), t(4)], shapes), 'fits');
    assert.equal(gangFit([t(6), t(6), t(2), t(2)], shapes), 'fits');
  });

  test('agrees with the exhaustive oracle on random fleets and gangs (pins included)', () => {
    fc.assert(
      fc.property(arbGangFleet, arbGangBatch, (workers, jobs) => {
        for (const job of jobs) {
          if (job.tasks.some((t) => t.pin !== undefined && !workers.some((w) => w.id === t.pin!.workerId)))
            continue;
          const verdict = gangFit(gangOf(job.tasks, workers), shapesOf(workers));
          assert.equal(verdict, gangCanRun(job.tasks, workers) ? 'fits' : 'never', job.jobId);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('gives up (unknown, so the job waits) rather than guess: too many shapes for the search', () => {
    // Workers of 3 cores and different memory sizes: 2-core tasks go one per worker, and there are
    // more tasks than workers, which only the search could prove (and it is not tried).
    const shapes = sortShapes(
      Array.from({ length: GANG_SEARCH_MAX_SHAPES + 1 }, (_, i) => ({
        cores: 3,
        memoryBytes: (i + 1) * GiB,
        count: 1,
      })),
    );
    const tasks = Array.from({ length: GANG_SEARCH_MAX_SHAPES + 2 }, () => ({ cores: 2, memoryBytes: 0 }));
    assert.equal(gangFit(tasks, shapes), 'unknown');
  });

  test('a large homogeneous fleet is decided without a search', () => {
    const shapes = [{ cores: 32, memoryBytes: 64 * GiB, count: 100_000 }];
    const tasks = Array.from({ length: 1000 }, () => ({ cores: 17, memoryBytes: GiB }));
    assert.equal(gangFit(tasks, shapes), 'fits');
  });
});

describe('GANG_NEVER_FITS in plans', () => {
  test('exactly the gangs that can never run are reported, in every strategy', () => {
    fc.assert(
      fc.property(arbGangFleet, arbGangBatch, (workers, jobs) => {
        for (const strategy of STRATEGY_NAMES) {
          const plan = schedule(aSnapshot(workers), jobs, strategy, { nowMs: 0 });
          for (const job of jobs) {
            const u = plan.unplaced.find((x) => x.jobId === job.jobId);
            const canRun = gangCanRun(job.tasks, workers);
            if (u?.code === 'GANG_NEVER_FITS') assert.ok(!canRun, `${strategy}: ${job.jobId} can run`);
            // A job that can never run is failed for good by the pre-checks (even while it waits
            // behind a higher-ranked job), unless a pin stops them first: its worker may join or
            // become ready, or the strategy may change to one that needs no pins.
            if (!canRun) {
              const waits = ['PIN_UNKNOWN_WORKER', 'PIN_NOT_READY', 'PIN_REQUIRED'];
              assert.ok(u !== undefined, `${strategy}: ${job.jobId} placed but cannot run`);
              assert.ok(u.neverFits || waits.includes(u.code), `${strategy}: ${job.jobId} ${u.code}`);
            } else {
              assert.ok(u === undefined || !u.neverFits, `${strategy}: ${job.jobId} can run but ${u?.code}`);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  test('pinned gangs: the pinned worker must hold its pinned tasks together', () => {
    const fleet = [aWorker({ id: 'w0', cores: 4 }), aWorker({ id: 'w1', cores: 8 })];
    const pinned = (cores: number, i: number) => aTask({ taskId: `p${i}`, cores, pin: { workerId: 'w0' } });
    const never = schedule(
      aSnapshot(fleet),
      [aJob({ jobId: 'p', tasks: [pinned(3, 0), pinned(2, 1)] })],
      'best-fit',
      { nowMs: 0 },
    );
    assert.equal(never.unplaced[0]?.code, 'GANG_NEVER_FITS');
    const fits = schedule(
      aSnapshot([aWorker({ id: 'w0', cores: 4, freeCores: 1 }), aWorker({ id: 'w1', cores: 8 })]),
      [aJob({ jobId: 'p', tasks: [pinned(3, 0), aTask({ taskId: 'u', cores: 8 })] })],
      'best-fit',
      { nowMs: 0 },
    );
    assert.deepEqual(
      fits.unplaced.map((u) => [u.code, u.neverFits]),
      [['NO_CAPACITY', false]],
    );
  });

  test('a one-task job is judged by the per-task check alone; a busy fleet is not "never"', () => {
    const p = schedule(aSnapshot(aFleet(2, { freeCores: 0 })), [aJob({ tasks: 2, cores: 8 })], 'best-fit', {
      nowMs: 0,
    });
    assert.deepEqual(
      p.unplaced.map((u) => [u.code, u.neverFits]),
      [['NO_CAPACITY', false]],
    );
  });
});

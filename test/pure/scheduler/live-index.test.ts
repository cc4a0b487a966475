/**
 * @module The live index against the per-call scheduler: after any sequence of worker upserts,
 * removals and plans, `scheduleOnLive` gives exactly the plan `schedule` gives on the equivalent
 * snapshot (the held views ordered by id), for every strategy, and a plan leaves the index as it
 * found it. Plus tables for adding, replacing and removing workers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LiveIndex } from '../../../core/scheduler/live-index.js';
import { scheduleOnLive } from '../../../core/scheduler/schedule-on-live.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES } from '../../../core/scheduler/strategy-registry.js';
import type { JobRequest, WorkerView } from '../../../core/scheduler/types.js';
import {
  aJob,
  aTask,
  aWorker,
  arbBatch,
  arbNowMs,
  arbSnapshotOf,
  arbWorkerView,
} from '../../support/scheduler-fixtures.js';

const RUNS = 200;

/** Plans `jobs` on the live index with every strategy; checks equality and an exact undo. */
function assertSameAsSnapshot(live: LiveIndex, jobs: readonly JobRequest[], nowMs: number): void {
  for (const strategy of STRATEGY_NAMES) {
    const before = live.inspect();
    // Sorted here, not by the index, so a wrong order inside the index cannot hide.
    const held = live.snapshot(7).workers;
    const snapshot = {
      version: 7,
      workers: [...held].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    };
    const plan = scheduleOnLive(live, jobs, strategy, { nowMs, snapshotVersion: 7 });
    assert.deepEqual(plan, schedule(snapshot, jobs, strategy, { nowMs }), strategy);
    assert.deepEqual(live.inspect(), before, `${strategy} left the index changed`);
    assert.deepEqual(live.snapshot(7).workers, held);
  }
}

/** One step of a random history: a worker (re)described, a worker removed, or a plan. */
const arbStep = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('upsert' as const), view: arbWorkerView }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 13 }) }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('plan' as const), jobs: arbBatch }) },
);

describe('LiveIndex: plans equal schedule() on the equivalent snapshot', () => {
  test('a fleet added in snapshot order (ids w0..w12 do not sort in that order), every strategy', () => {
    fc.assert(
      fc.property(arbSnapshotOf(0, 13), arbBatch, arbNowMs, (snapshot, jobs, nowMs) => {
        const live = new LiveIndex();
        for (const view of snapshot.workers) live.upsert(view);
        assertSameAsSnapshot(live, jobs, nowMs);
      }),
      { numRuns: RUNS },
    );
  });

  test('after random upserts, removals and plans, interleaved', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 40 }), arbBatch, arbNowMs, (steps, jobs, nowMs) => {
        const live = new LiveIndex();
        for (const step of steps) {
          if (step.k === 'upsert') live.upsert(step.view);
          else if (step.k === 'remove') live.remove(`w${step.id}`);
          else assertSameAsSnapshot(live, step.jobs, nowMs);
        }
        assertSameAsSnapshot(live, jobs, nowMs);
      }),
      { numRuns: RUNS },
    );
  });

  test('ids joining in ascending order take the append path; a later lower id re-ranks', () => {
    const live = new LiveIndex();
    const jobs = [aJob({ jobId: 'a', tasks: 3, cores: 2 }), aJob({ jobId: 'b', tasks: 2, cores: 8 })];
    for (let i = 10; i < 40; i++) {
      live.upsert(aWorker({ id: `w${i}`, cores: 8, freeCores: i % 9 }));
      assertSameAsSnapshot(live, jobs, 1000);
    }
    live.upsert(aWorker({ id: 'w05', cores: 8, freeCores: 8 }));
    assertSameAsSnapshot(live, jobs, 1000);
    assert.equal(
      scheduleOnLive(live, jobs, 'first-fit', { nowMs: 0, snapshotVersion: 1 }).placements[0]?.workerId,
      'w05',
    );
  });
});

describe('LiveIndex: tables', () => {
  const plan = (live: LiveIndex, jobs: JobRequest[], strategy = 'best-fit') =>
    scheduleOnLive(live, jobs, strategy, { nowMs: 0, snapshotVersion: 1 });

  test('an upsert of a known id replaces its view; remove forgets it; size and has follow', () => {
    const live = new LiveIndex();
    live.upsert(aWorker({ id: 'a', cores: 4 }));
    live.upsert(aWorker({ id: 'b', cores: 4 }));
    live.upsert(aWorker({ id: 'a', cores: 2 }));
    assert.equal(live.size, 2);
    assert.deepEqual(
      live.snapshot(1).workers.map((w) => [w.id, w.totalCores]),
      [
        ['a', 2],
        ['b', 4],
      ],
    );
    assert.equal(live.remove('a'), true);
    assert.equal(live.remove('a'), false);
    assert.equal(live.has('a'), false);
    assert.equal(live.size, 1);
    assert.equal(
      plan(live, [aJob({ tasks: [aTask({ pin: { workerId: 'a' } })] })]).unplaced[0]?.code,
      'PIN_UNKNOWN_WORKER',
    );
  });

  test('a ready flip takes a worker out of and back into the choice', () => {
    const live = new LiveIndex();
    live.upsert(aWorker({ id: 'a', cores: 4 }));
    live.upsert(aWorker({ id: 'a', cores: 4, ready: false }));
    const blocked = plan(live, [aJob({ tasks: 1 })]);
    assert.equal(blocked.unplaced[0]?.code, 'NO_CAPACITY');
    assert.deepEqual(blocked.unplaced[0]?.counts, { notReady: 1, fewerCores: 0, lowMemory: 0 });
    live.upsert(aWorker({ id: 'a', cores: 4 }));
    assert.equal(plan(live, [aJob({ tasks: 1 })]).placements[0]?.workerId, 'a');
  });

  test('a malformed view is held as a not-ready worker with no capacity, as schedule() treats it', () => {
    const live = new LiveIndex();
    const bad: WorkerView = { ...aWorker({ id: 'bad', cores: 4 }), freeCoreIds: [3, 1] };
    live.upsert(bad);
    live.upsert(aWorker({ id: 'ok', cores: 2 }));
    const jobs = [
      aJob({ jobId: 'pinned', tasks: [aTask({ pin: { workerId: 'bad' } })] }),
      aJob({ jobId: 'big', tasks: 1, cores: 3 }),
    ];
    const got = plan(live, jobs);
    assert.deepEqual(got, schedule(live.snapshot(1), jobs, 'best-fit', { nowMs: 0 }));
    assert.deepEqual(
      got.unplaced.map((u) => [u.jobId, u.code, u.counts]),
      [
        ['pinned', 'PIN_NOT_READY', { notReady: 1 }],
        ['big', 'NEVER_FITS', { fewerTotalCores: 2, lowTotalMemory: 0 }],
      ],
    );
    // Fixed, it counts again.
    live.upsert(aWorker({ id: 'bad', cores: 4 }));
    assert.equal(plan(live, jobs).placements.length, 2);
  });

  test('NEVER_FITS follows workers that leave and come back smaller', () => {
    const live = new LiveIndex();
    live.upsert(aWorker({ id: 'a', cores: 16, memoryBytes: 1024 }));
    live.upsert(aWorker({ id: 'b', cores: 16, memoryBytes: 4096 }));
    const job = [aJob({ tasks: 1, cores: 12, memoryBytes: 2048 })];
    assert.equal(plan(live, job).placements.length, 1);
    live.upsert(aWorker({ id: 'b', cores: 8, memoryBytes: 4096 }));
    assert.equal(plan(live, job).unplaced[0]?.code, 'NEVER_FITS');
    live.remove('a');
    live.remove('b');
    // No well-formed worker: nothing to judge by, so the task waits for capacity instead.
    assert.equal(plan(live, job).unplaced[0]?.code, 'NO_CAPACITY');
  });

  test('a view without a string id is refused; changes during a plan are refused', () => {
    const live = new LiveIndex();
    assert.throws(() => live.upsert({ ...aWorker(), id: 3 as unknown as string }), TypeError);
    live.beginPlan();
    assert.throws(() => live.upsert(aWorker()), /plan is in progress/);
    assert.throws(() => live.remove('w0'), /plan is in progress/);
    live.endPlan();
    live.upsert(aWorker());
    assert.equal(live.size, 1);
  });

  test('a worker that comes back with more cores keeps planning right (its bits move)', () => {
    const live = new LiveIndex();
    for (let i = 0; i < 20; i++) live.upsert(aWorker({ id: `w${String(i).padStart(2, '0')}`, cores: 8 }));
    live.upsert(aWorker({ id: 'w03', cores: 100, freeCores: [40, 41, 42, 43, 99] }));
    live.remove('w04');
    live.upsert(aWorker({ id: 'w05', cores: 64, freeCores: 64 }));
    const jobs = [
      aJob({ jobId: 'x', tasks: 2, cores: 4 }),
      aJob({ jobId: 'y', tasks: [aTask({ cores: 3, pin: { workerId: 'w03', coreIds: [41, 42, 99] } })] }),
    ];
    for (const strategy of STRATEGY_NAMES) {
      assert.deepEqual(plan(live, jobs, strategy), schedule(live.snapshot(1), jobs, strategy, { nowMs: 0 }));
    }
  });
});

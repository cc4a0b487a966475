/**
 * @module Issue 14, item 1: no strategy leaves a job waiting that fits alone into what the plan
 * leaves free (the decreasing orderings used to, behind jobs rolled back later), and a gang that
 * can never run together fails fast. Tables on the example for every strategy and both
 * planning paths, and properties on random fleets and batches.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LiveIndex } from '../../../core/scheduler/live-index.js';
import { scheduleOnLive } from '../../../core/scheduler/schedule-on-live.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES } from '../../../core/scheduler/strategy-registry.js';
import type { ClusterSnapshot, JobRequest, Plan, WorkerView } from '../../../core/scheduler/types.js';
import { referenceSchedule } from '../../support/reference-scheduler.js';
import {
  MiB,
  aFleet,
  aJob,
  aSnapshot,
  aTask,
  arbBatchOf,
  arbSnapshotOf,
} from '../../support/scheduler-fixtures.js';
import { arbGangBatch, arbGangFleet } from '../../support/gang-arbitraries.js';

const NOW = 100_000;
const RUNS = 150;

/** The plan on a snapshot, checked against the reference and the live index (ids sort in order). */
function planBoth(snapshot: ClusterSnapshot, jobs: readonly JobRequest[], strategy: string): Plan {
  const fast = schedule(snapshot, jobs, strategy, { nowMs: NOW });
  assert.deepStrictEqual(referenceSchedule(snapshot, jobs, strategy, { nowMs: NOW }), fast, 'reference');
  const live = new LiveIndex();
  for (const view of snapshot.workers) live.upsert(view);
  const sorted = [...snapshot.workers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const onLive = scheduleOnLive(live, jobs, strategy, { nowMs: NOW, snapshotVersion: snapshot.version });
  assert.deepStrictEqual(onLive, schedule({ ...snapshot, workers: sorted }, jobs, strategy, { nowMs: NOW }));
  return fast;
}

/** What the plan leaves free: the snapshot minus its placements (on each id's first view). */
function leftover(snapshot: ClusterSnapshot, plan: Plan): ClusterSnapshot {
  const workers = snapshot.workers.map((v) => ({ ...v, freeCoreIds: [...v.freeCoreIds] }));
  for (const p of plan.placements) {
    const w = workers.find((v) => v.id === p.workerId)!;
    w.freeCoreIds = w.freeCoreIds.filter((id) => !p.coreIds.includes(id));
    w.freeMemoryBytes -= p.memoryBytes;
  }
  return { version: snapshot.version, workers };
}

/** Groups' instances in the plan, so `spread` sees what it saw when it planned. */
function instancesOf(jobs: readonly JobRequest[], plan: Plan): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const p of plan.placements) {
    const job = jobs.find((j) => j.jobId === p.jobId)!;
    const group = job.tasks.find((t) => t.taskId === p.taskId)!.group ?? job.jobId;
    const byWorker = (out[group] ??= {});
    byWorker[p.workerId] = (byWorker[p.workerId] ?? 0) + 1;
  }
  return out;
}

/** The strategies without head-of-line blocking (`priority` blocks by design). */
const NON_BLOCKING = STRATEGY_NAMES.filter((s) => s !== 'priority');

/**
 * Every job the plan leaves unplaced for capacity (or a pinned core taken) stays unplaced when
 * planned alone, with the same strategy, on what the plan leaves free.
 */
function assertNothingFitsAlone(
  snapshot: ClusterSnapshot,
  jobs: readonly JobRequest[],
  strategy: string,
): void {
  const plan = schedule(snapshot, jobs, strategy, { nowMs: NOW });
  const rest = leftover(snapshot, plan);
  const groupInstances = instancesOf(jobs, plan);
  for (const u of plan.unplaced) {
    if (u.neverFits || (u.code !== 'NO_CAPACITY' && u.code !== 'PIN_CORE_CONFLICT')) continue;
    const job = jobs.find((j) => j.jobId === u.jobId)!;
    const alone = schedule(rest, [job], strategy, { nowMs: NOW, groupInstances });
    assert.equal(
      alone.placements.length,
      0,
      `${strategy}: ${u.jobId} fits alone into what is left (${u.reason})`,
    );
  }
}

describe('the issue example: two idle 8-core workers, A = 4 × 4 cores, B = 6 + 6 + 3 cores', () => {
  const fleet = aFleet(2);
  const a = aJob({ jobId: 'A', tasks: 4, cores: 4, memoryBytes: 50 * MiB, submittedAtMs: 1 });
  const b = aJob({
    jobId: 'B',
    tasks: [6, 6, 3].map((cores, i) => aTask({ taskId: `b${i}`, cores, memoryBytes: 50 * MiB })),
    submittedAtMs: 2,
  });
  for (const strategy of STRATEGY_NAMES.filter((s) => s !== 'no-scheduler')) {
    for (const jobs of [
      [a, b],
      [b, a],
    ]) {
      test(`${strategy}, ${jobs.map((j) => j.jobId).join(' then ')}: A is placed, B fails as a gang that never fits`, () => {
        const plan = planBoth(aSnapshot(fleet), jobs, strategy);
        assert.deepEqual(
          plan.placements.map((p) => p.jobId),
          ['A', 'A', 'A', 'A'],
        );
        assert.deepEqual(
          plan.unplaced.map((u) => [u.jobId, u.code, u.neverFits]),
          [['B', 'GANG_NEVER_FITS', true]],
        );
        assert.match(
          plan.unplaced[0]!.reason,
          /as one gang: no way to place them all at once on the 2 workers/,
        );
      });
    }
  }

  test('with one worker busy, A waits (not never-fits) and says so with counts', () => {
    const busy = [aFleet(1)[0]!, { ...aFleet(2)[1]!, freeCoreIds: [0, 1] }] as WorkerView[];
    for (const strategy of NON_BLOCKING.filter((s) => s !== 'no-scheduler')) {
      const plan = planBoth(aSnapshot(busy), [a], strategy);
      assert.deepEqual(
        plan.unplaced.map((u) => [u.code, u.neverFits]),
        [['NO_CAPACITY', false]],
        strategy,
      );
    }
  });

  test('a fleet with no workers judges nothing: the job waits with NO_CAPACITY', () => {
    for (const strategy of STRATEGY_NAMES.filter((s) => s !== 'no-scheduler')) {
      const plan = planBoth(aSnapshot([]), [b], strategy);
      assert.deepEqual(
        plan.unplaced.map((u) => [u.code, u.neverFits]),
        [['NO_CAPACITY', false]],
      );
    }
  });

  test('under priority a gang that never fits does not block the jobs ranked below it', () => {
    const high = { ...b, priority: 10 };
    const plan = planBoth(aSnapshot(fleet), [high, a], 'priority');
    assert.deepEqual(
      plan.unplaced.map((u) => u.code),
      ['GANG_NEVER_FITS'],
    );
    assert.equal(plan.placements.length, 4);
  });
});

describe('the live index keeps the gang verdict current as the fleet changes', () => {
  const gang = aJob({ jobId: 'B', tasks: [6, 6, 3].map((cores, i) => aTask({ taskId: `b${i}`, cores })) });
  const codes = (live: LiveIndex): string[] =>
    scheduleOnLive(live, [gang], 'best-fit', { nowMs: NOW, snapshotVersion: 1 }).unplaced.map((u) => u.code);

  test('a worker joins, grows, shrinks and leaves', () => {
    const live = new LiveIndex();
    assert.deepEqual(codes(live), ['NO_CAPACITY'], 'no workers: nothing is judged');
    for (const view of aFleet(2)) live.upsert(view);
    assert.deepEqual(codes(live), ['GANG_NEVER_FITS']);
    live.upsert({ ...aFleet(3)[2]!, ready: false });
    assert.deepEqual(
      codes(live),
      ['NO_CAPACITY'],
      'a third worker, even not ready, could hold the 3-core task',
    );
    live.remove('w2');
    assert.deepEqual(codes(live), ['GANG_NEVER_FITS']);
    live.upsert(aFleet(2, { cores: 9, freeCores: 0 })[1]!);
    assert.deepEqual(codes(live), ['NO_CAPACITY'], 'w1 grew to 9 cores: 6 + 3 fit it');
    live.upsert(aFleet(2)[1]!);
    assert.deepEqual(codes(live), ['GANG_NEVER_FITS'], 'and shrank back');
  });
});

describe('properties', () => {
  test('no job is left unplaced that fits alone into what the plan leaves free (every strategy but priority)', () => {
    fc.assert(
      fc.property(arbGangFleet, arbGangBatch, (workers, jobs) => {
        for (const strategy of NON_BLOCKING) assertNothingFitsAlone(aSnapshot(workers), jobs, strategy);
      }),
      { numRuns: RUNS },
    );
  });

  test('the same on the general arbitraries (pins, malformed views, invalid jobs)', () => {
    fc.assert(
      fc.property(arbSnapshotOf(1, 8), arbBatchOf(8), (snapshot, jobs) => {
        for (const strategy of NON_BLOCKING) assertNothingFitsAlone(snapshot, jobs, strategy);
      }),
      { numRuns: RUNS },
    );
  });

  test('gang-heavy batches: fast = reference = live index, every strategy', () => {
    fc.assert(
      fc.property(arbGangFleet, arbGangBatch, (workers, jobs) => {
        for (const strategy of STRATEGY_NAMES) planBoth(aSnapshot(workers), jobs, strategy);
      }),
      { numRuns: RUNS },
    );
  });
});

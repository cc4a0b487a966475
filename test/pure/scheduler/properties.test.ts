/**
 * @module Property tests of the scheduler: invariants on random fleets and batches, and
 * equality with the brute-force reference for every strategy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES, getStrategy } from '../../../core/scheduler/strategy-registry.js';
import {
  UNPLACED_CODES,
  type ClusterSnapshot,
  type JobRequest,
  type Plan,
  type TaskRequest,
} from '../../../core/scheduler/types.js';
import { isWellFormedView } from '../../../core/scheduler/snapshot-facts.js';
import { referenceSchedule } from '../../support/reference-scheduler.js';
import {
  arbBatch,
  arbBatchOf,
  arbNowMs,
  arbSnapshot,
  arbSnapshotOf,
} from '../../support/scheduler-fixtures.js';

/** Runs per property and strategy; the whole file stays well under 10 s on 2 cores. */
const RUNS = 300;

/** Checks every invariant a plan must satisfy, independently of any implementation. */
function assertPlanInvariants(
  snapshot: ClusterSnapshot,
  jobs: readonly JobRequest[],
  plan: Plan,
  strategy: string,
): void {
  const ids = snapshot.workers.map((w) => w.id);
  // Which views could receive tasks: well-formed, first with its id, ready.
  const usable = new Map<string, (typeof snapshot.workers)[number]>();
  snapshot.workers.forEach((w, i) => {
    if (ids.indexOf(w.id) === i && isWellFormedView(w) && w.ready) usable.set(w.id, w);
  });
  const cores = new Map<string, Set<number>>();
  const memory = new Map<string, number>();
  for (const p of plan.placements) {
    const worker = usable.get(p.workerId);
    assert.ok(worker, `placement on unusable worker ${p.workerId}`);
    const taken = cores.get(p.workerId) ?? new Set<number>();
    for (const c of p.coreIds) {
      assert.ok(worker.freeCoreIds.includes(c), `core ${c} of ${p.workerId} was not free`);
      assert.ok(!taken.has(c), `core ${c} of ${p.workerId} booked twice`);
      taken.add(c);
    }
    cores.set(p.workerId, taken);
    memory.set(p.workerId, (memory.get(p.workerId) ?? 0) + p.memoryBytes);
    assert.ok(memory.get(p.workerId)! <= worker.freeMemoryBytes, `memory of ${p.workerId} over-committed`);
    assert.deepEqual(
      [...p.coreIds],
      [...p.coreIds].sort((a, b) => a - b),
      'coreIds ascending',
    );
    const job = jobs.find((j) => j.jobId === p.jobId)!;
    const task = job.tasks.find((t) => t.taskId === p.taskId)!;
    assert.equal(p.coreIds.length, task.cores);
    assert.equal(p.memoryBytes, task.memoryBytes);
    if (task.pin) {
      assert.equal(p.workerId, task.pin.workerId, 'pinned task on its worker');
      if (task.pin.coreIds)
        assert.deepEqual(
          [...p.coreIds],
          [...task.pin.coreIds].sort((a, b) => a - b),
        );
    } else {
      assert.notEqual(strategy, 'no-scheduler', 'no-scheduler placed an unpinned task');
    }
  }
  // Every job is either placed whole or explained once, never both.
  const unplacedIds = plan.unplaced.map((u) => u.jobId);
  const validIds = new Set<string>();
  for (const [j, job] of jobs.entries()) {
    const label = typeof job.jobId === 'string' && job.jobId !== '' ? job.jobId : `jobs[${j}]`;
    const placed = plan.placements.filter((p) => p.jobId === label);
    const explained = plan.unplaced.filter((u) => u.jobId === label);
    if (validIds.has(label)) continue; // a repeated id: explained by the second entry
    validIds.add(label);
    if (placed.length > 0) {
      assert.equal(placed.length, job.tasks.length, `job ${label} placed partially`);
      assert.equal(new Set(placed.map((p) => p.taskId)).size, job.tasks.length);
      const repeats = jobs.filter((x) => x.jobId === label).length;
      assert.equal(explained.length, repeats - 1, `placed job ${label} also unplaced`);
    } else {
      assert.ok(explained.length >= 1, `job ${label} neither placed nor explained`);
    }
  }
  assert.equal(unplacedIds.length + new Set(plan.placements.map((p) => p.jobId)).size, jobs.length);
  for (const u of plan.unplaced) {
    assert.ok(UNPLACED_CODES.includes(u.code));
    assert.ok(u.reason.length > 10);
    if (u.code === 'NEVER_FITS' || u.code === 'INVALID_REQUEST' || u.code === 'JOB_EMPTY')
      assert.equal(u.neverFits, true);
    if (u.code === 'NO_CAPACITY' || u.code === 'PIN_NOT_READY' || u.code === 'PRIORITY_BLOCKED')
      assert.equal(u.neverFits, false);
  }
  assert.equal(plan.snapshotVersion, snapshot.version);
  assert.equal(plan.strategy, strategy);
}

for (const strategy of STRATEGY_NAMES) {
  describe(`schedule(${strategy}) properties`, () => {
    test('the plan deep-equals the reference scheduler on small, crowded inputs', () => {
      fc.assert(
        fc.property(arbSnapshot, arbBatch, arbNowMs, (snapshot, jobs, nowMs) => {
          assert.deepStrictEqual(
            schedule(snapshot, jobs, strategy, { nowMs }),
            referenceSchedule(snapshot, jobs, strategy, { nowMs }),
          );
        }),
        { numRuns: RUNS },
      );
    });

    test('the plan deep-equals the reference on larger fleets and batches', () => {
      fc.assert(
        fc.property(
          arbSnapshotOf(10, 40),
          arbBatchOf(30),
          arbNowMs,
          fc.constantFrom(0, 0.05, 1),
          (snapshot, jobs, nowMs, aging) => {
            const options = { nowMs, agingPerSecond: aging };
            assert.deepStrictEqual(
              schedule(snapshot, jobs, strategy, options),
              referenceSchedule(snapshot, jobs, strategy, options),
            );
          },
        ),
        { numRuns: RUNS / 3 },
      );
    });

    test('never over-commits, places jobs whole, explains every other job', () => {
      fc.assert(
        fc.property(arbSnapshot, arbBatchOf(12), arbNowMs, (snapshot, jobs, nowMs) => {
          assertPlanInvariants(snapshot, jobs, schedule(snapshot, jobs, strategy, { nowMs }), strategy);
        }),
        { numRuns: RUNS },
      );
    });

    test('is deterministic and does not mutate its inputs', () => {
      fc.assert(
        fc.property(arbSnapshot, arbBatch, arbNowMs, (snapshot, jobs, nowMs) => {
          // JSON, not deepStrictEqual: fast-check makes some null-prototype objects, which a clone loses.
          const before = JSON.stringify({ snapshot, jobs });
          const copy = structuredClone({ snapshot, jobs });
          const first = schedule(snapshot, jobs, strategy, { nowMs });
          assert.equal(JSON.stringify({ snapshot, jobs }), before);
          assert.deepStrictEqual(schedule(copy.snapshot, copy.jobs, getStrategy(strategy), { nowMs }), first);
        }),
        { numRuns: RUNS / 3 },
      );
    });
  });
}

describe('decreasing strategies', () => {
  test('consider the whole batch largest first: placements of unpinned tasks are non-increasing in size, then whole jobs placed on second chances', () => {
    const inOrder = (a: TaskRequest, b: TaskRequest): boolean =>
      a.cores > b.cores || (a.cores === b.cores && a.memoryBytes >= b.memoryBytes);
    fc.assert(
      fc.property(arbSnapshotOf(5, 20), arbBatchOf(15), arbNowMs, (snapshot, jobs, nowMs) => {
        for (const strategy of ['first-fit-decreasing', 'best-fit-decreasing']) {
          const plan = schedule(snapshot, jobs, strategy, { nowMs });
          const placed = plan.placements
            .map((p) => ({
              jobId: p.jobId,
              task: jobs.find((j) => j.jobId === p.jobId)!.tasks.find((t) => t.taskId === p.taskId)!,
            }))
            .filter((p) => p.task.pin?.coreIds === undefined);
          // The main pass: largest first over the whole batch, up to the first step back.
          let i = 1;
          while (i < placed.length && inOrder(placed[i - 1]!.task, placed[i]!.task)) i++;
          // A step back can only start a job placed on a second chance: each such job comes whole
          // and on its own, largest task first, and took nothing in the main pass.
          const mainJobs = new Set(placed.slice(0, i).map((p) => p.jobId));
          const seen = new Set<string>();
          for (let k = i; k < placed.length; k++) {
            const { jobId, task } = placed[k]!;
            assert.ok(!mainJobs.has(jobId), `job ${jobId} placed in both passes`);
            if (k > i && placed[k - 1]!.jobId === jobId) {
              assert.ok(inOrder(placed[k - 1]!.task, task), `out of order within ${jobId} at ${k}`);
              continue;
            }
            assert.ok(!seen.has(jobId), `job ${jobId} not contiguous`);
            seen.add(jobId);
          }
        }
      }),
      { numRuns: RUNS / 3 },
    );
  });
});

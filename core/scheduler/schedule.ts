/**
 * `schedule`: the pure scheduling function. No I/O, no clock, no randomness: the same snapshot,
 * batch, strategy and options always give the same plan.
 *
 *   validate ─► pre-check ─► order ─► build index ─► place task by task ─► plan
 *   (shape)     (snapshot     (strategy   (O(N log N))   (choice query, core rule,
 *                statics)      ordering)                   all-or-nothing rollback)
 *
 * See docs/design/scheduler.md for the semantics in full.
 */
import { CHOICES } from './choices.js';
import { ORDERINGS } from './orderings.js';
import { placeTasks } from './place-tasks.js';
import { PlanGroups } from './plan-groups.js';
import type { FleetFacts, PlanIndex } from './plan-index.js';
import { precheckJob } from './precheck-job.js';
import { SnapshotFacts } from './snapshot-facts.js';
import { getStrategy, type Strategy } from './strategy-registry.js';
import {
  DEFAULT_AGING_PER_SECOND,
  type ClusterSnapshot,
  type JobRequest,
  type Plan,
  type ScheduleOptions,
  type Unplaced,
} from './types.js';
import { validateJob } from './validate-job.js';
import { WorkerIndex, type IndexNeeds } from './worker-index.js';

/** Checks the options, which come from our own code and config: a bad value is a bug, so it throws. */
function agingOf(options: ScheduleOptions): number {
  if (typeof options.nowMs !== 'number' || !Number.isFinite(options.nowMs)) {
    throw new RangeError(`schedule: options.nowMs must be a finite number (got ${String(options.nowMs)})`);
  }
  const aging = options.agingPerSecond ?? DEFAULT_AGING_PER_SECOND;
  if (typeof aging !== 'number' || !Number.isFinite(aging) || aging < 0) {
    throw new RangeError(
      `schedule: options.agingPerSecond must be a finite number >= 0 (got ${String(aging)})`,
    );
  }
  return aging;
}

/**
 * Plans a batch of jobs against a snapshot.
 *
 * Each job is placed whole or not at all: when one of its tasks cannot be placed, the job's
 * tentative placements are rolled back (later tasks see that capacity again), its remaining tasks
 * are skipped, and the job gets one {@link Unplaced} entry with a code, a reason and counts. Bad
 * requests become `INVALID_REQUEST` entries; they never throw.
 *
 * @param strategy a registered strategy or its name
 * @throws AppError `UNKNOWN_STRATEGY` for an unknown name; RangeError for malformed options
 */
export function schedule(
  snapshot: ClusterSnapshot,
  jobs: readonly JobRequest[],
  strategy: Strategy | string,
  options: ScheduleOptions,
): Plan {
  const spec = typeof strategy === 'string' ? getStrategy(strategy) : strategy;
  const facts = new SnapshotFacts(snapshot);
  return scheduleOnFacts(facts, jobs, spec, options, (needs) => WorkerIndex.build(facts, needs));
}

/**
 * {@link schedule} on a snapshot already analysed, with the caller building the worker index.
 * Internal: it exists so the benchmark can time the index build and the planning separately. The
 * index must be fresh (built from `facts`, never used before), because planning mutates it.
 * @param buildIndex called at most once, only when some task gets past the pre-checks
 */
export function scheduleOnFacts(
  facts: SnapshotFacts,
  jobs: readonly JobRequest[],
  spec: Strategy,
  options: ScheduleOptions,
  buildIndex: (needs: IndexNeeds) => WorkerIndex,
): Plan {
  return planBatch(facts, facts.version, jobs, spec, options, buildIndex);
}

/**
 * The planning steps on any {@link FleetFacts} and {@link PlanIndex}: the snapshot's (built per
 * call) or the live index's (kept across rounds; `scheduleOnLive`).
 * @param version copied into the plan
 * @param planIndex called at most once, only when some task gets past the pre-checks; the index
 *   it returns is changed by the plan's placements
 */
export function planBatch(
  facts: FleetFacts,
  version: number,
  jobs: readonly JobRequest[],
  spec: Strategy,
  options: ScheduleOptions,
  planIndex: (needs: IndexNeeds) => PlanIndex,
): Plan {
  const agingPerSecond = agingOf(options);
  const choice = CHOICES[spec.choice];
  const batch: readonly JobRequest[] = Array.isArray(jobs) ? jobs : [];
  const jobCount = batch.length;

  // 1. Validate shapes; only valid jobs get task refs.
  const failures = new Array<Unplaced | undefined>(jobCount);
  const taskOffset = new Int32Array(jobCount + 1);
  const seenJobIds = new Set<string>();
  for (let j = 0; j < jobCount; j++) {
    const failure = validateJob(batch[j], j, seenJobIds);
    failures[j] = failure;
    taskOffset[j + 1] = taskOffset[j]! + (failure === undefined ? batch[j]!.tasks.length : 0);
  }

  // 2. Pre-check against the snapshot, and copy what the placement loop reads into typed arrays
  //    indexed by ref, in one sequential pass.
  const refCount = taskOffset[jobCount]!;
  const pinWorker = new Int32Array(refCount);
  const explicitCores = new Uint8Array(refCount);
  const jobOfRef = new Int32Array(refCount);
  const taskCores = new Float64Array(refCount);
  const taskMemory = new Float64Array(refCount);
  const eligible: number[] = [];
  for (let j = 0; j < jobCount; j++) {
    if (failures[j] !== undefined) continue;
    const job = batch[j]!;
    const start = taskOffset[j]!;
    for (let t = 0; t < job.tasks.length; t++) {
      const task = job.tasks[t]!;
      jobOfRef[start + t] = j;
      taskCores[start + t] = task.cores;
      taskMemory[start + t] = task.memoryBytes;
      if (task.pin?.coreIds !== undefined) explicitCores[start + t] = 1;
    }
    const failure = precheckJob(job, facts, choice.requiresPin, pinWorker, start);
    if (failure === undefined) eligible.push(j);
    else failures[j] = failure;
  }

  // Groups are read only when the choice counts instances or some group avoids a worker.
  const groups = groupsOf(facts, batch, eligible, taskOffset, choice.usesGroups, options);

  // 3. Order, 4. index, 5. place.
  const order = ORDERINGS[spec.ordering]({
    jobs: batch,
    eligible,
    taskOffset,
    explicitCores,
    taskCores,
    taskMemory,
    nowMs: options.nowMs,
    agingPerSecond,
  });
  const placements =
    order.length === 0
      ? []
      : placeTasks(
          {
            facts,
            batch,
            order,
            taskOffset,
            jobOfRef,
            pinWorker,
            taskCores,
            taskMemory,
            choice,
            blocking: spec.headOfLineBlocking,
            nowMs: options.nowMs,
            agingPerSecond,
            groups,
          },
          planIndex(choice.needs),
          failures,
        );

  const unplaced: Unplaced[] = [];
  for (const failure of failures) if (failure !== undefined) unplaced.push(failure);
  return { snapshotVersion: version, strategy: spec.name, placements, unplaced };
}

/**
 * Each eligible ref's group (its task's `group`, else its job's id) and the {@link PlanGroups} of
 * the batch, or undefined when the choice reads no groups and no group avoids a worker.
 */
function groupsOf(
  facts: FleetFacts,
  batch: readonly JobRequest[],
  eligible: readonly number[],
  taskOffset: Int32Array,
  usesGroups: boolean,
  options: ScheduleOptions,
): { plan: PlanGroups; ofRef: string[] } | undefined {
  const avoid = options.avoid;
  if (!usesGroups && (avoid === undefined || Object.keys(avoid).length === 0)) return undefined;
  const ofRef = new Array<string>(taskOffset[batch.length]!);
  const names = new Set<string>();
  for (const j of eligible) {
    const { jobId, tasks } = batch[j]!;
    for (let t = 0; t < tasks.length; t++) {
      const group = tasks[t]!.group ?? jobId;
      ofRef[taskOffset[j]! + t] = group;
      names.add(group);
    }
  }
  const plan = new PlanGroups(facts, options, names);
  return usesGroups || !plan.avoidsNothing ? { plan, ofRef } : undefined;
}

/**
 * The gang check of the placement loop: turns a failed multi-task job into GANG_NEVER_FITS when
 * `gangFit` proves its tasks can never run together on the fleet's well-formed workers (see
 * gang-fit.ts and docs/design/scheduler.md, "Gangs that can never run").
 */
import { gangFit, type GangTask } from './gang-fit.js';
import type { FleetFacts } from './plan-index.js';
import { gangNeverFits } from './reasons.js';
import type { JobRequest, Unplaced, WorkerView } from './types.js';

/** What the check reads of the placement loop's input (refs index the typed arrays). */
export interface GangCheckInput {
  readonly facts: FleetFacts;
  readonly batch: readonly JobRequest[];
  readonly taskOffset: Int32Array;
  /** Pinned worker per ref, or -1. */
  readonly pinWorker: Int32Array;
  readonly taskCores: Float64Array;
  readonly taskMemory: Float64Array;
}

/**
 * GANG_NEVER_FITS for job j when its tasks can provably never run together on the fleet (see
 * gang-fit.ts), else undefined. A one-task job passed the per-task NEVER_FITS pre-check, so it
 * always fits; nothing is judged when no worker is well-formed.
 */
export function neverFitsAsGang(input: GangCheckInput, j: number): Unplaced | undefined {
  const { facts, batch, taskOffset, pinWorker, taskCores, taskMemory } = input;
  const job = batch[j]!;
  const n = job.tasks.length;
  if (n < 2) return undefined;
  const shapes = facts.workerShapes();
  if (shapes.length === 0) return undefined;
  // The common case without allocating: no pins, and n workers each hold the largest task.
  let maxCores = 0;
  let maxMemory = 0;
  let pinned = false;
  for (let r = taskOffset[j]!; r < taskOffset[j + 1]!; r++) {
    if (pinWorker[r]! >= 0) pinned = true;
    if (taskCores[r]! > maxCores) maxCores = taskCores[r]!;
    if (taskMemory[r]! > maxMemory) maxMemory = taskMemory[r]!;
  }
  if (!pinned) {
    let roomy = 0;
    for (const s of shapes) if (s.cores >= maxCores && s.memoryBytes >= maxMemory) roomy += s.count;
    if (roomy >= n) return undefined;
  }
  const tasks: GangTask[] = job.tasks.map((task, t) => {
    const w = pinWorker[taskOffset[j]! + t]!;
    if (w < 0) return { cores: task.cores, memoryBytes: task.memoryBytes };
    const view = facts.workers[w] as WorkerView;
    const pin = { key: w, cores: view.totalCores, memoryBytes: view.totalMemoryBytes };
    return { cores: task.cores, memoryBytes: task.memoryBytes, pin };
  });
  return gangFit(tasks, shapes) === 'never' ? gangNeverFits(job.jobId, tasks, shapes) : undefined;
}

/**
 * The gang pre-check: a job whose tasks each pass the per-task checks is GANG_NEVER_FITS when
 * `gangFit` proves they can never run together on the fleet's well-formed workers (see
 * gang-fit.ts and docs/design/scheduler.md, "Gangs that can never run").
 */
import { gangFit, type GangTask } from './gang-fit.js';
import type { FleetFacts } from './plan-index.js';
import { gangNeverFits } from './reasons.js';
import { coresOf, type JobRequest, type Unplaced, type WorkerView } from './types.js';

/**
 * GANG_NEVER_FITS for a job whose tasks passed the per-task pre-checks but can provably never run
 * together on the fleet (see gang-fit.ts), else undefined. A one-task job passed the per-task
 * NEVER_FITS check, so it always fits; nothing is judged when no worker is well-formed.
 * @param pinWorker the pinned worker of task t at `offset + t` (or -1), as the pre-checks set it
 */
export function neverFitsAsGang(
  job: JobRequest,
  facts: FleetFacts,
  pinWorker: Int32Array,
  offset: number,
): Unplaced | undefined {
  const n = job.tasks.length;
  if (n < 2) return undefined;
  const shapes = facts.workerShapes();
  if (shapes.length === 0) return undefined;
  // The common case without allocating: no pins, and n workers each hold the largest task.
  let maxCores = 0;
  let maxMemory = 0;
  let pinned = false;
  for (let t = 0; t < n; t++) {
    const { cores, memoryBytes } = job.tasks[t]!;
    if (pinWorker[offset + t]! >= 0) pinned = true;
    if (cores > maxCores) maxCores = cores;
    if (memoryBytes > maxMemory) maxMemory = memoryBytes;
  }
  if (!pinned) {
    let roomy = 0;
    for (const s of shapes) if (s.cores >= maxCores && s.memoryBytes >= maxMemory) roomy += s.count;
    if (roomy >= n) return undefined;
  }
  const tasks: GangTask[] = job.tasks.map((task, t) => {
    const w = pinWorker[offset + t]!;
    if (w < 0) return { cores: task.cores, memoryBytes: task.memoryBytes };
    const view = facts.workers[w] as WorkerView;
    const pin = { key: w, cores: coresOf(view), memoryBytes: view.totalMemoryBytes };
    return { cores: task.cores, memoryBytes: task.memoryBytes, pin };
  });
  return gangFit(tasks, shapes) === 'never' ? gangNeverFits(job.jobId, tasks, shapes) : undefined;
}

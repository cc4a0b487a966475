/**
 * A workload job as the simulator tracks it: its scheduler request, what the selective rounds
 * read (totals, distinct task shapes, pins) and its life (state, times, reason).
 */
import type { JobSample } from '../run-result.js';
import type { WorkloadJob } from '../workload.js';
import type { RoundJob } from './selective-round.js';

/** A job's life in the simulation. */
export interface SimJob extends RoundJob {
  readonly spec: WorkloadJob;
  startedMs: number | null;
  finishedMs: number | null;
  reason: string | null;
  tasksLeft: number;
}

/** A pending job, submitted at `epoch + arrivalMs` as the scheduler sees it. */
export function simJob(spec: WorkloadJob, epoch: number): SimJob {
  let cores = 0;
  let memoryBytes = 0;
  let pinned = false;
  const shapes: number[] = [];
  for (const t of spec.tasks) {
    cores += t.cores;
    memoryBytes += t.memoryBytes;
    if (t.node !== undefined) pinned = true;
    else if (!hasShape(shapes, t.cores, t.memoryBytes)) shapes.push(t.cores, t.memoryBytes);
  }
  return {
    spec,
    request: {
      jobId: spec.name,
      priority: spec.priority,
      submittedAtMs: epoch + spec.arrivalMs,
      tasks: spec.tasks.map((t) => ({
        taskId: t.name,
        cores: t.cores,
        memoryBytes: t.memoryBytes,
        ...(t.node !== undefined ? { pin: { workerId: t.node } } : {}),
      })),
    },
    cores,
    memoryBytes,
    pinned,
    shapes: Float64Array.from(shapes),
    taskCount: spec.tasks.length,
    tried: false,
    state: 'pending',
    startedMs: null,
    finishedMs: null,
    reason: null,
    tasksLeft: spec.tasks.length,
  };
}

function hasShape(shapes: readonly number[], cores: number, memoryBytes: number): boolean {
  for (let k = 0; k < shapes.length; k += 2)
    if (shapes[k] === cores && shapes[k + 1] === memoryBytes) return true;
  return false;
}

/** The job as a result reports it. */
export function jobSample(j: SimJob): JobSample {
  return {
    name: j.spec.name,
    tasks: j.spec.tasks.length,
    cores: j.cores,
    memoryBytes: j.memoryBytes,
    state: j.state === 'pending' ? 'waiting' : j.state,
    submittedMs: j.spec.arrivalMs,
    scheduledMs: j.startedMs,
    startedMs: j.startedMs,
    finishedMs: j.finishedMs,
    unplacedReason: j.reason,
  };
}

import type { Endpoint, LogChunk, LogQuery, TaskAssignment, TaskRef } from '../core/protocol/index.js';
import { LABELS } from '../core/model/index.js';

/**
 * The container-runtime port: the one seam between the worker agent and whatever runs its tasks.
 * It exists so the agent's reconcile and report logic is the same for real Docker containers
 * (`docker-runtime.ts`) and for the cheap simulated fleet used in experiments and tests
 * (`simulated-runtime.ts`).
 *
 * Contract shared by every implementation:
 * - Every operation is idempotent by task ref and never throws for a task-level problem (missing
 *   image, bad cpuset, port in use): those arrive as a `failed` {@link RuntimeEvent} carrying the
 *   engine's own words. A rejected promise means the runtime itself is unusable.
 * - Events only move forward per ref (`running` → `finished` | `failed`) and may repeat; a
 *   listener must tolerate duplicates.
 * - A task ended with {@link ContainerRuntime.stop} emits no further event: the caller already
 *   knows it was stopped.
 */
export interface ContainerRuntime {
  /** What the worker announces in its join. */
  readonly kind: 'docker' | 'simulated';
  /**
   * Starts one attempt. If this worker already has it (a restarted agent, a repeated command) the
   * existing task is adopted and its current state re-emitted instead. `signal` aborts a start
   * that is waiting to retry (the task is being stopped); nothing is emitted then.
   */
  start(assignment: TaskAssignment, signal?: AbortSignal): Promise<void>;
  /**
   * Stops the task (short grace, then kill) and removes it; a no-op for unknown refs.
   * `beforeRemove` runs once the task has stopped and before it is removed (the agent keeps its
   * last output then); it must not throw, and it is not called for a ref the runtime does not have.
   */
  stop(ref: TaskRef, beforeRemove?: () => Promise<void>): Promise<void>;
  /** Removes an ended task's container (and, best effort, its job's network when unused). */
  remove(ref: TaskRef): Promise<void>;
  /** Tasks of this worker the runtime has now, running or exited but not yet removed. */
  list(): Promise<RuntimeTask[]>;
  /** Registers a listener for state changes of this worker's tasks. */
  onEvent(listener: RuntimeEventListener): void;
  /**
   * Changes a running task's cpuset and memory limit in place (`docker update`). Idempotent: the
   * same limits twice is the same result. Never throws for a task-level problem.
   */
  update(ref: TaskRef, limits: TaskLimits): Promise<RuntimeCommandOutcome>;
  /**
   * Checkpoints a running task under `name`, leaving it running. `unsupported` (cached by the
   * implementation) when the engine cannot checkpoint at all, with the engine's reason.
   */
  checkpoint(ref: TaskRef, name: string): Promise<RuntimeCommandOutcome>;
  /** Where the running task's published ports answer (`unsupported` for runtimes without ports). */
  endpoints(ref: TaskRef): Promise<RuntimeCommandOutcome>;
  /**
   * A chunk of the task's output (stdout and stderr) as the engine keeps it, running or exited
   * but not removed; `unknown-task` when the runtime has no such task. Read-only. (Once removed,
   * the agent answers from what it kept: worker/kept-logs.ts.)
   */
  logs(ref: TaskRef, query: LogQuery): Promise<RuntimeCommandOutcome>;
  /** Releases the runtime's own resources (event streams, timers). Tasks keep running. */
  close(): Promise<void>;
}

/** New resource limits of a running task. */
export interface TaskLimits {
  readonly coreIds: readonly number[];
  /** 0 leaves the memory limit as it is. */
  readonly memoryBytes: number;
}

/** How a runtime command ended; `reason` carries the engine's words unless `done`. */
export interface RuntimeCommandOutcome {
  readonly outcome: 'done' | 'unsupported' | 'failed' | 'unknown-task';
  readonly reason: string | null;
  /** `endpoints` only. */
  readonly endpoints?: readonly Endpoint[];
  /** `logs` only. */
  readonly logs?: LogChunk;
}

/** One task as the runtime sees it now. */
export interface RuntimeTask {
  readonly ref: TaskRef;
  readonly state: 'running' | 'exited';
  /** Exit code once exited; null while running or when it never ran. */
  readonly exitCode: number | null;
  /** Why it failed, in the engine's words; null while running or after a clean exit. */
  readonly reason: string | null;
}

/** States a runtime reports; `starting` and `cancelled` are the agent's own. */
export type RuntimeState = 'running' | 'finished' | 'failed';

/** A task changed state in the runtime. */
export interface RuntimeEvent {
  readonly ref: TaskRef;
  readonly state: RuntimeState;
  readonly exitCode: number | null;
  readonly reason: string | null;
  /**
   * With `running`, when the runtime knows it: the image the container runs, by digest
   * (`repo@sha256:…`, or the engine's image id `sha256:…`).
   */
  readonly imageDigest?: string;
}

export type RuntimeEventListener = (event: RuntimeEvent) => void;

/** Reason of a task whose container the kernel's OOM killer ended. */
export const REASON_OOM = 'killed: out of memory';

/**
 * The outcome of a task that exited with `exitCode`: finished on 0, otherwise failed with "killed:
 * out of memory" when the OOM killer was involved, or "exited with code N". A clean exit counts as
 * finished even if some process of the container was OOM-killed along the way.
 */
export function exitEvent(ref: TaskRef, exitCode: number, oomKilled = false): RuntimeEvent {
  if (exitCode === 0) return { ref, state: 'finished', exitCode: 0, reason: null };
  if (oomKilled) return { ref, state: 'failed', exitCode, reason: REASON_OOM };
  return { ref, state: 'failed', exitCode, reason: `exited with code ${exitCode}` };
}

/** The event that brings a listener up to date with a listed task. */
export function runtimeEventOf(t: RuntimeTask): RuntimeEvent {
  if (t.state === 'running') return { ref: t.ref, state: 'running', exitCode: null, reason: null };
  const state = t.exitCode === 0 && t.reason === null ? 'finished' : 'failed';
  return { ref: t.ref, state, exitCode: t.exitCode, reason: t.reason };
}

/** The labels a worker puts on each container it creates (see {@link LABELS}); no cluster label when `clusterId` is "". */
export function taskLabels(ref: TaskRef, workerId: string, clusterId = ''): Record<string, string> {
  return {
    [LABELS.job]: ref.job,
    [LABELS.task]: ref.task,
    [LABELS.attempt]: String(ref.attempt),
    [LABELS.worker]: workerId,
    ...(clusterId ? { [LABELS.cluster]: clusterId } : {}),
  };
}

/** Reads the task ref back from container labels; undefined when they are missing or malformed. */
export function refFromLabels(labels: Readonly<Record<string, string>> | undefined): TaskRef | undefined {
  const job = labels?.[LABELS.job];
  const task = labels?.[LABELS.task];
  const attemptText = labels?.[LABELS.attempt];
  if (!job || !task || attemptText === undefined || !/^\d+$/.test(attemptText)) return undefined;
  return { job, task, attempt: Number(attemptText) };
}

/** True when two refs name the same attempt. */
export function sameRef(a: TaskRef, b: TaskRef): boolean {
  return a.job === b.job && a.task === b.task && a.attempt === b.attempt;
}

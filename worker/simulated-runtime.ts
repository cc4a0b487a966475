import { SLEEP_CANCELLED, type Clock } from '../core/clock/clock.js';
import {
  chunkOf,
  nanoTimestamp,
  taskRefKey,
  type LogLine,
  type LogQuery,
  type TaskAssignment,
  type TaskRef,
} from '../core/protocol/index.js';
import {
  exitEvent,
  runtimeEventOf,
  type ContainerRuntime,
  type RuntimeEvent,
  type RuntimeEventListener,
  type RuntimeCommandOutcome,
  type RuntimeTask,
  type TaskLimits,
} from './container-runtime.js';

/** Assignment env var that forces a simulated task's exit code (non-zero → `failed`). */
export const SIM_EXIT_CODE_ENV = 'RSWARM_SIM_EXIT_CODE';
/** Assignment env var that makes `update` of a simulated task fail, with its value as the reason. */
export const SIM_UPDATE_ERROR_ENV = 'RSWARM_SIM_UPDATE_ERROR';
/** Why the simulated runtime refuses checkpoints. */
export const REASON_SIM_NO_CHECKPOINT =
  'the simulated runtime has no container engine, so it cannot checkpoint';
/** Assignment env var that makes a simulated task fail to start, with its value as the reason. */
export const SIM_START_ERROR_ENV = 'RSWARM_SIM_START_ERROR';

/**
 * How long a simulated task runs: its `runSeconds`, else the N of a `sleep N` command (what the
 * original stress clients send), else until stopped.
 */
export function simulatedRunSeconds(a: Pick<TaskAssignment, 'runSeconds' | 'command'>): number | null {
  if (a.runSeconds !== null) return a.runSeconds;
  const [cmd, arg] = a.command ?? [];
  if (a.command?.length === 2 && cmd === 'sleep' && arg !== undefined && /^\d+(\.\d+)?$/.test(arg))
    return Number(arg);
  return null;
}

interface SimTask {
  readonly ref: TaskRef;
  state: 'running' | 'exited';
  exitCode: number | null;
  reason: string | null;
  /** Cancels the run timer; absent for tasks that run until stopped or have ended. */
  timer: AbortController | undefined;
  /** Current limits (updated in place by `update`). */
  limits: TaskLimits;
  readonly updateError: string | undefined;
  /** Synthetic output, oldest first, at most {@link SIM_LOG_LINES} (see {@link SimulatedRuntime.logs}). */
  readonly lines: LogLine[];
}

/** Lines of synthetic output a simulated task keeps (a ring: the oldest go first). */
export const SIM_LOG_LINES = 200;

/**
 * A runtime with no containers: a task "runs" for its assignment's `runSeconds` on the injected
 * clock (null = until stopped) and then exits 0, or with {@link SIM_EXIT_CODE_ENV}. Each task is a
 * map entry plus at most one clock timer, so one process can simulate thousands of workers' tasks.
 */
export class SimulatedRuntime implements ContainerRuntime {
  readonly kind = 'simulated' as const;
  private readonly tasks = new Map<string, SimTask>();
  private readonly listeners: RuntimeEventListener[] = [];
  private closed = false;

  constructor(private readonly clock: Clock) {}

  start(a: TaskAssignment): Promise<void> {
    const ref: TaskRef = { job: a.job, task: a.task, attempt: a.attempt };
    const existing = this.tasks.get(taskRefKey(ref));
    if (existing) {
      // Adopt: say again where it is, as Docker does for an existing container.
      this.emitLater(runtimeEventOf(existing));
      return Promise.resolve();
    }
    const startError = a.env[SIM_START_ERROR_ENV];
    if (startError !== undefined) {
      this.emitLater({ ref, state: 'failed', exitCode: null, reason: startError });
      return Promise.resolve();
    }
    const task: SimTask = {
      ref,
      state: 'running',
      exitCode: null,
      reason: null,
      timer: undefined,
      limits: { coreIds: [...a.coreIds], memoryBytes: a.memoryBytes },
      updateError: a.env[SIM_UPDATE_ERROR_ENV],
      lines: [],
    };
    this.tasks.set(taskRefKey(ref), task);
    this.log(task, `started ${a.task} (job ${a.job}, attempt ${a.attempt}) on cores ${a.coreIds.join(',')}`);
    this.emitLater({ ref, state: 'running', exitCode: null, reason: null });
    const runSeconds = simulatedRunSeconds(a);
    if (runSeconds !== null && !this.closed) {
      const timer = new AbortController();
      task.timer = timer;
      this.clock.sleep(runSeconds * 1000, timer.signal).then(
        () => this.exit(task, a.env[SIM_EXIT_CODE_ENV]),
        () => undefined, // stopped or closed
      );
    }
    return Promise.resolve();
  }

  async stop(ref: TaskRef, beforeRemove?: () => Promise<void>): Promise<void> {
    const key = taskRefKey(ref);
    const t = this.tasks.get(key);
    if (!t) return;
    t.timer?.abort(SLEEP_CANCELLED);
    t.timer = undefined;
    // Its lines are readable until it is removed, as a stopped container's are.
    if (beforeRemove) await beforeRemove();
    if (this.tasks.get(key) === t) this.tasks.delete(key);
  }

  remove(ref: TaskRef): Promise<void> {
    return this.stop(ref);
  }

  list(): Promise<RuntimeTask[]> {
    return Promise.resolve(
      [...this.tasks.values()].map((t) => ({
        ref: t.ref,
        state: t.state,
        exitCode: t.exitCode,
        reason: t.reason,
      })),
    );
  }

  update(ref: TaskRef, limits: TaskLimits): Promise<RuntimeCommandOutcome> {
    const t = this.tasks.get(taskRefKey(ref));
    if (!t || t.state !== 'running')
      return Promise.resolve({ outcome: 'unknown-task', reason: `no running task ${taskRefKey(ref)}` });
    if (t.updateError !== undefined) return Promise.resolve({ outcome: 'failed', reason: t.updateError });
    t.limits = {
      coreIds: [...limits.coreIds],
      memoryBytes: limits.memoryBytes === 0 ? t.limits.memoryBytes : limits.memoryBytes,
    };
    this.log(t, `limits updated: cores ${t.limits.coreIds.join(',')}, memory ${t.limits.memoryBytes} bytes`);
    return Promise.resolve({ outcome: 'done', reason: null });
  }

  checkpoint(_ref: TaskRef, _name: string): Promise<RuntimeCommandOutcome> {
    return Promise.resolve({ outcome: 'unsupported', reason: REASON_SIM_NO_CHECKPOINT });
  }

  endpoints(_ref: TaskRef): Promise<RuntimeCommandOutcome> {
    return Promise.resolve({ outcome: 'unsupported', reason: 'simulated tasks publish no ports' });
  }

  /**
   * The task's synthetic output: a line when it started, when its limits changed and when it
   * exited, kept until the task is removed (then the agent keeps it, as it keeps a container's),
   * so the logs route works without Docker.
   */
  logs(ref: TaskRef, query: LogQuery): Promise<RuntimeCommandOutcome> {
    const t = this.tasks.get(taskRefKey(ref));
    if (!t) return Promise.resolve({ outcome: 'unknown-task', reason: `no task ${taskRefKey(ref)}` });
    return Promise.resolve({
      outcome: 'done',
      reason: null,
      logs: chunkOf(t.lines, query, t.state === 'exited'),
    });
  }

  /** Appends a line of synthetic output to a task (tests use it as "the task wrote a line"). */
  write(ref: TaskRef, text: string, stream: LogLine['stream'] = 'stdout'): void {
    const t = this.tasks.get(taskRefKey(ref));
    if (t) this.log(t, text, stream);
  }

  /** The limits a simulated task runs with now (tests read updates back here). */
  limitsOf(ref: TaskRef): TaskLimits | undefined {
    return this.tasks.get(taskRefKey(ref))?.limits;
  }

  onEvent(listener: RuntimeEventListener): void {
    this.listeners.push(listener);
  }

  /** Cancels every run timer (so the process can exit); the tasks' records stay listed. */
  close(): Promise<void> {
    this.closed = true;
    for (const t of this.tasks.values()) t.timer?.abort(SLEEP_CANCELLED);
    return Promise.resolve();
  }

  /** How many tasks are running now. */
  runningCount(): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.state === 'running') n++;
    return n;
  }

  private exit(task: SimTask, forcedExitCode: string | undefined): void {
    if (this.tasks.get(taskRefKey(task.ref)) !== task) return;
    task.timer = undefined;
    task.state = 'exited';
    if (forcedExitCode !== undefined && !/^-?\d+$/.test(forcedExitCode.trim())) {
      task.exitCode = null;
      task.reason = `${SIM_EXIT_CODE_ENV}="${forcedExitCode}" is not an integer`;
    } else {
      const event = exitEvent(task.ref, forcedExitCode === undefined ? 0 : Number(forcedExitCode));
      task.exitCode = event.exitCode;
      task.reason = event.reason;
    }
    this.log(
      task,
      task.reason === null ? 'exited with code 0' : task.reason,
      task.reason ? 'stderr' : 'stdout',
    );
    this.emit(runtimeEventOf(task));
  }

  private log(task: SimTask, text: string, stream: LogLine['stream'] = 'stdout'): void {
    task.lines.push({ at: nanoTimestamp(this.clock.now()), stream, text });
    if (task.lines.length > SIM_LOG_LINES) task.lines.shift();
  }

  /** Emits after the caller's current step, as a real engine would: start() returns first. */
  private emitLater(event: RuntimeEvent): void {
    queueMicrotask(() => this.emit(event));
  }

  private emit(event: RuntimeEvent): void {
    if (this.closed) return;
    for (const l of this.listeners) l(event);
  }
}

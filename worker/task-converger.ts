import type { Clock } from '../core/clock/clock.js';
import type { Logger } from '../core/log/logger.js';
import { taskRefKey, type Report, type TaskAssignment, type TaskRef } from '../core/protocol/index.js';
import {
  runtimeEventOf,
  type ContainerRuntime,
  type RuntimeEvent,
  type RuntimeTask,
} from './container-runtime.js';
import { isEnded, type ReportedState } from './report-state.js';
import type { StatusUpdate } from './status-reporter.js';
import type { TaskLogKeeper } from './task-log-keeper.js';
import { messageOf, refOf } from './task-refs.js';
import type { TaskTable } from './task-table.js';
import type { WorkerAgentState } from './worker-agent-deps.js';

/**
 * Ended, pruned attempts remembered so a repeated `assign` or `sync` does not run them again.
 * They are forgotten as soon as a `sync` leaves them out; this cap only bounds a worker whose
 * manager never does.
 */
const MAX_REMEMBERED_ENDED = 10_000;

const REASON_NOT_DESIRED = 'not in the GlobalManager’s desired set';

/** What the converger is given by the worker agent (passed in: it never imports the agent). */
export interface TaskConvergerDeps {
  readonly runtime: ContainerRuntime;
  readonly tasks: TaskTable;
  readonly logs: TaskLogKeeper;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The agent's lifecycle state (a closing agent keeps no output; a closed one ignores events). */
  readonly agentState: () => WorkerAgentState;
  /** Reports a task's state change to Discovery (retried until acknowledged). */
  readonly report: (update: StatusUpdate) => void;
}

/**
 * The worker agent's task side: converges the runtime on what the GlobalManager sends (starts,
 * stops, the full desired set), moves each attempt's state forward only ({@link TaskTable}) and
 * reports every move, and removes an ended task's container once Discovery has acknowledged its
 * end (its last output kept first, see {@link TaskLogKeeper}).
 */
export class TaskConverger {
  private readonly runtime: ContainerRuntime;
  private readonly tasks: TaskTable;
  private readonly logs: TaskLogKeeper;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly agentState: () => WorkerAgentState;
  private readonly report: (update: StatusUpdate) => void;
  /** Container name each attempt was last started under (see {@link start}). */
  private readonly startedAs = new Map<string, string>();
  /** Starts in progress, aborted when their task is stopped (cuts a start-retry backoff short). */
  private readonly starting = new Map<string, AbortController>();

  constructor(deps: TaskConvergerDeps) {
    this.runtime = deps.runtime;
    this.tasks = deps.tasks;
    this.logs = deps.logs;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.agentState = deps.agentState;
    this.report = deps.report;
  }

  /** Converges on exactly `desired`: start what is missing, stop what is not wanted. */
  reconcile(desired: readonly TaskAssignment[]): void {
    const wanted = new Set(desired.map((a) => taskRefKey(a)));
    for (const a of desired) this.start(a);
    for (const e of this.tasks.all()) {
      if (wanted.has(taskRefKey(e.ref))) continue;
      if (!isEnded(e.state)) this.stop(e.ref, REASON_NOT_DESIRED);
      else if (e.removed) this.tasks.forget(e.ref); // ended, reported, pruned, and no longer asked for
    }
  }

  /** Idempotent by ref: an attempt known here (running, or already ended here) is not started again. */
  start(a: TaskAssignment): void {
    const ref = refOf(a);
    const key = taskRefKey(ref);
    const known = this.tasks.get(ref);
    if (known) {
      // A task migrated away and back comes with the same attempt but a new container name; its
      // old run here ended and was pruned, so it starts afresh. Anything else known is kept.
      const before = this.startedAs.get(key);
      const movedBack =
        isEnded(known.state) && known.removed && before !== undefined && before !== a.containerName;
      if (!movedBack) return;
      this.tasks.forget(ref);
    }
    this.logs.drop(ref); // a fresh run here: what was kept of the last one is stale
    this.startedAs.delete(key); // re-inserted last: the map's order is oldest first
    this.startedAs.set(key, a.containerName);
    if (this.startedAs.size > 2 * MAX_REMEMBERED_ENDED) {
      const oldest = this.startedAs.keys().next().value;
      if (oldest !== undefined) this.startedAs.delete(oldest);
    }
    this.advance(ref, 'starting', null, null);
    const abort = new AbortController();
    this.starting.set(key, abort);
    void this.tasks.enqueue(
      ref,
      () =>
        this.runtime.start(a, abort.signal).finally(() => {
          if (this.starting.get(key) === abort) this.starting.delete(key);
        }),
      (err) => this.onRuntimeEvent({ ref, state: 'failed', exitCode: null, reason: messageOf(err) }),
    );
  }

  /** Ends an attempt as `cancelled` (unless it already ended) and stops and removes it. */
  stop(ref: TaskRef, reason: string): void {
    const known = this.tasks.get(ref);
    if (known && isEnded(known.state)) return; // its end is reported; pruning follows the ack
    this.starting.get(taskRefKey(ref))?.abort();
    this.advance(ref, 'cancelled', null, reason);
    if (!known) {
      this.tasks.markRemoved(ref); // never ran here; remember it so a late assign is ignored
      return;
    }
    void this.tasks.enqueue(
      ref,
      async () => {
        // Leaving, the agent's memory goes with it: no point reading what it would keep.
        const keep = this.agentState() === 'closing' ? undefined : () => this.logs.keep(ref);
        await this.runtime.stop(ref, keep);
        this.tasks.markRemoved(ref);
      },
      (err) => this.logger.error({ err, ref }, 'stopping a task failed'),
    );
  }

  /** A task the runtime already had (an agent restart): take it over and report where it is. */
  adopt(t: RuntimeTask): void {
    const e = runtimeEventOf(t);
    this.advance(e.ref, e.state, e.exitCode, e.reason);
  }

  onRuntimeEvent(e: RuntimeEvent): void {
    if (this.agentState() === 'closed') return;
    if (!this.advance(e.ref, e.state, e.exitCode, e.reason, e.imageDigest)) {
      this.logger.debug({ ref: e.ref, state: e.state }, 'ignored a runtime event that does not move forward');
    }
  }

  /** Applies a forward move and reports it; returns false for a move that is not forward. */
  private advance(
    ref: TaskRef,
    state: ReportedState,
    exitCode: number | null,
    reason: string | null,
    imageDigest?: string,
  ): boolean {
    const entry = this.tasks.advance(ref, state, exitCode, reason);
    if (!entry) return false;
    this.logger.debug({ ref, state, exitCode, reason }, 'task state');
    this.report({ ref, state, exitCode, reason, at: this.clock.now(), imageDigest });
    return true;
  }

  /** An end was durably recorded: the container is no longer needed as evidence, remove it. */
  onAcked(report: Report): void {
    if (!isEnded(report.state)) return;
    const ref = refOf(report);
    const entry = this.tasks.get(ref);
    if (!entry || entry.removed || !isEnded(entry.state)) return;
    void this.tasks.enqueue(
      ref,
      async () => {
        await this.logs.keep(ref);
        await this.runtime.remove(ref);
        this.tasks.markRemoved(ref);
        if (this.tasks.size > MAX_REMEMBERED_ENDED) this.tasks.trimEnded(MAX_REMEMBERED_ENDED);
      },
      (err) => this.logger.error({ err, ref }, 'removing an ended task failed'),
    );
  }
}

import type { Clock } from '../core/clock/clock.js';
import { componentLogger, type Logger } from '../core/log/logger.js';
import {
  PROTOCOL_VERSION,
  taskRefKey,
  type Command,
  type Message,
  type Report,
  type TaskAssignment,
  type TaskRef,
} from '../core/protocol/index.js';
import {
  runtimeEventOf,
  type ContainerRuntime,
  type RuntimeEvent,
  type RuntimeTask,
} from './container-runtime.js';
import { awaitEnrolment } from './await-enrolment.js';
import { DealerChannel } from './dealer-channel.js';
import { heartbeatLoop } from './heartbeat-loop.js';
import { joinMessageOf } from './join-message.js';
import { isEnded, type ReportedState } from './report-state.js';
import { runTaskCommand } from './run-task-command.js';
import { StatusReporter } from './status-reporter.js';
import { TaskLogKeeper } from './task-log-keeper.js';
import { messageOf, refOf } from './task-refs.js';
import { TaskTable, type TaskEntry } from './task-table.js';
import type { WorkerAgentDeps, WorkerAgentState } from './worker-agent-deps.js';
import { compileWorkerOptions, type WorkerOptions, type WorkerOptionsInput } from './worker-options.js';

/**
 * Ended, pruned attempts remembered so a repeated `assign` or `sync` does not run them again.
 * They are forgotten as soon as a `sync` leaves them out; this cap only bounds a worker whose
 * manager never does.
 */
const MAX_REMEMBERED_ENDED = 10_000;

const REASON_STOPPED = 'stopped by the GlobalManager';
const REASON_NOT_DESIRED = 'not in the GlobalManager’s desired set';
const REASON_LEFT = 'the worker left the cluster';

/**
 * The worker agent: one per worker process. It joins the GlobalManager over a DEALER (routing id
 * = worker id), heartbeats, converges the runtime on the commands it receives (level-triggered:
 * `sync` is the full desired set, `assign`/`stop` are idempotent deltas) and reports every task
 * state change to Discovery through a {@link StatusReporter}, which retries until acknowledged.
 * States only move forward per task attempt ({@link TaskTable}). An ended task's container is kept
 * until Discovery acknowledges its end, so a crash before then re-reports it on restart.
 *
 * See docs/design/worker.md.
 */
export class WorkerAgent {
  private state: WorkerAgentState = 'created';
  private readonly tasks = new TaskTable();
  /** Container name each attempt was last started under (see {@link startTask}). */
  private readonly startedAs = new Map<string, string>();
  /** Starts in progress, aborted when their task is stopped (cuts a start-retry backoff short). */
  private readonly starting = new Map<string, AbortController>();
  private readonly stopping = new AbortController();
  /** Reads tasks' output, and keeps ended tasks' last output past their removal. */
  private readonly logs: TaskLogKeeper;
  private readonly loops: Promise<void>[] = [];
  private manager: DealerChannel | undefined;
  /** The enrolment socket while enrolling (secured link). */
  private desk: DealerChannel | undefined;
  private reporter: StatusReporter | undefined;
  private shutdown: Promise<void> | undefined;
  private readonly closed: Promise<void>;
  private markClosed: () => void = () => undefined;

  private constructor(
    private readonly options: WorkerOptions,
    private readonly runtime: ContainerRuntime,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.logs = new TaskLogKeeper(options.workerId, options, { runtime, clock, logger });
  }

  /**
   * Builds an agent; nothing connects until {@link run}.
   * @throws ConfigError when the options are invalid
   */
  static create(options: WorkerOptionsInput, deps: WorkerAgentDeps): WorkerAgent {
    const compiled = compileWorkerOptions(options);
    const logger = componentLogger(deps.logger, 'worker', { workerId: compiled.workerId });
    return new WorkerAgent(compiled, deps.runtime, deps.clock, logger);
  }

  /**
   * Adopts the tasks the runtime already has for this worker (reporting their state), connects to
   * Discovery and the GlobalManager, and sends the join. Resolves once the join is queued; the
   * agent then runs until {@link close}, a `leave` or a final `reject` (see {@link whenClosed}).
   */
  async run(): Promise<void> {
    if (this.state !== 'created') throw new Error(`worker agent: run() in state ${this.state}`);
    this.state = 'joining';
    const o = this.options;
    try {
      this.runtime.onEvent((e) => this.onRuntimeEvent(e));
      this.reporter = StatusReporter.create(
        {
          workerId: o.workerId,
          discoveryEndpoint: o.discoveryEndpoint,
          retryMinMs: o.reportRetryMinMs,
          retryMaxMs: o.reportRetryMaxMs,
          ...(o.security ? { security: o.security, connectLater: true } : {}),
        },
        { clock: this.clock, logger: this.logger },
      );
      this.reporter.onAcked((r) => this.onAcked(r));
      for (const t of await this.runtime.list()) this.adopt(t);
      // A secured worker enrols its key first: the GlobalManager's main socket and Discovery
      // admit enrolled keys only (docs/design/security.md).
      if (o.security) this.loops.push(this.enrolThenJoin());
      else this.connectManager();
      this.logger.info({ adopted: this.tasks.size }, 'joining');
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  getState(): WorkerAgentState {
    return this.state;
  }

  /** What the agent knows about each task attempt (for diagnostics and tests). */
  getTasks(): TaskEntry[] {
    return this.tasks.all();
  }

  /** Resolves when the agent has closed, for whatever reason. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  /**
   * Stops heartbeats and commands and releases sockets and the runtime. Tasks keep running: a
   * restarted agent adopts them. Unacknowledged reports are abandoned (ended containers are
   * still there and get re-reported on restart). Idempotent.
   */
  close(): Promise<void> {
    this.shutdown ??= this.release();
    return this.shutdown;
  }

  private async release(): Promise<void> {
    this.state = 'closing';
    this.stopping.abort();
    try {
      await this.runtime.close();
    } catch (err) {
      this.logger.error({ err }, 'closing the runtime failed');
    }
    await this.tasks.settled();
    await this.reporter?.close();
    this.desk?.close();
    this.manager?.close();
    await Promise.all(this.loops);
    this.state = 'closed';
    this.logger.info('closed');
    this.markClosed();
  }

  /** `leave`: stop and remove every task, give their reports a moment to be acknowledged, close. */
  private leave(): Promise<void> {
    this.shutdown ??= (async () => {
      this.state = 'closing';
      this.logger.info({ tasks: this.tasks.active().length }, 'leaving the cluster');
      for (const e of this.tasks.active()) this.stopTask(e.ref, REASON_LEFT);
      await this.tasks.settled();
      if (this.reporter && !(await this.reporter.flush(this.options.leaveFlushMs))) {
        this.logger.warn('leaving with unacknowledged reports');
      }
      await this.release();
    })();
    return this.shutdown;
  }

  private async receiveCommands(manager: DealerChannel): Promise<void> {
    try {
      for await (const message of manager.messages()) this.handle(message);
    } catch (err) {
      this.logger.error({ err }, 'GlobalManager connection failed');
      void this.close();
    }
  }

  private handle(message: Message): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    switch (message.type) {
      case 'sync':
        this.reconcile(message.desired);
        if (this.state === 'joining') {
          // Joined, so enrolled: Discovery now admits this worker's key.
          this.reporter?.connect();
          this.state = 'active';
          this.logger.info({ desired: message.desired.length }, 'joined');
        }
        return;
      case 'assign':
        for (const a of message.tasks) this.startTask(a);
        return;
      case 'stop':
        for (const ref of message.tasks) this.stopTask(refOf(ref), REASON_STOPPED);
        return;
      case 'reject':
        if (message.rejoin) {
          this.logger.warn({ reason: message.reason }, 'GlobalManager asked for a fresh join');
          this.state = 'joining';
          this.sendJoin();
        } else {
          this.logger.error({ reason: message.reason }, 'join refused; closing');
          void this.close();
        }
        return;
      case 'leave':
        void this.leave();
        return;
      case 'command':
        void this.runCommand(message);
        return;
      case 'ping':
        // Answered at once: the GlobalManager times the round trip on its own clock. Keyed, so an
        // unreachable manager gets only the latest answer.
        this.manager?.send(
          { type: 'pong', v: PROTOCOL_VERSION, workerId: this.options.workerId, id: message.id },
          'pong',
        );
        return;
      default:
        this.logger.warn({ type: message.type }, 'unexpected message from the GlobalManager; dropped');
    }
  }

  /** Converges on exactly `desired`: start what is missing, stop what is not wanted. */
  private reconcile(desired: readonly TaskAssignment[]): void {
    const wanted = new Set(desired.map((a) => taskRefKey(a)));
    for (const a of desired) this.startTask(a);
    for (const e of this.tasks.all()) {
      if (wanted.has(taskRefKey(e.ref))) continue;
      if (!isEnded(e.state)) this.stopTask(e.ref, REASON_NOT_DESIRED);
      else if (e.removed) this.tasks.forget(e.ref); // ended, reported, pruned, and no longer asked for
    }
  }

  /** Idempotent by ref: an attempt known here (running, or already ended here) is not started again. */
  private startTask(a: TaskAssignment): void {
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
  private stopTask(ref: TaskRef, reason: string): void {
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
        const keep = this.state === 'closing' ? undefined : () => this.logs.keep(ref);
        await this.runtime.stop(ref, keep);
        this.tasks.markRemoved(ref);
      },
      (err) => this.logger.error({ err, ref }, 'stopping a task failed'),
    );
  }

  /** Runs a task command (see {@link runTaskCommand}) and answers the GlobalManager. */
  private async runCommand(m: Command): Promise<void> {
    const answer = await runTaskCommand(m, {
      workerId: this.options.workerId,
      runtime: this.runtime,
      tasks: this.tasks,
      logs: this.logs,
    });
    this.manager?.send(answer);
  }

  /** A task the runtime already had (an agent restart): take it over and report where it is. */
  private adopt(t: RuntimeTask): void {
    const e = runtimeEventOf(t);
    this.advance(e.ref, e.state, e.exitCode, e.reason);
  }

  private onRuntimeEvent(e: RuntimeEvent): void {
    if (this.state === 'closed') return;
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
    this.reporter?.report({ ref, state, exitCode, reason, at: this.clock.now(), imageDigest });
    return true;
  }

  /** An end was durably recorded: the container is no longer needed as evidence, remove it. */
  private onAcked(report: Report): void {
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

  /** Connects to the GlobalManager, starts the command and heartbeat loops and sends the join. */
  private connectManager(): void {
    const o = this.options;
    this.manager = new DealerChannel(o.managerEndpoint, this.logger, o.workerId, o.security);
    this.loops.push(
      this.receiveCommands(this.manager),
      heartbeatLoop(this.manager, o.workerId, o.heartbeatIntervalMs, this.clock, this.stopping.signal),
    );
    this.sendJoin();
  }

  /**
   * Enrols this worker's key at the GlobalManager's enrolment socket (a `join` with the token and
   * the key, repeated every few seconds until answered, as the GlobalManager may not be up yet),
   * then connects for real. A refusal closes the agent, as a refused join does.
   */
  private async enrolThenJoin(): Promise<void> {
    const o = this.options;
    const desk = new DealerChannel(o.enrolEndpoint as string, this.logger, o.workerId, o.security);
    this.desk = desk;
    const signal = this.stopping.signal;
    const refusal = await awaitEnrolment(
      desk,
      () => this.joinMessage(),
      o.workerId,
      this.logger,
      () => {
        this.desk = undefined;
      },
    );
    if (signal.aborted) return;
    if (refusal !== undefined) {
      this.logger.error({ reason: refusal }, 'enrolment refused; closing');
      void this.close();
      return;
    }
    this.logger.info('key enrolled');
    this.connectManager();
  }

  private joinMessage(): Message {
    return joinMessageOf(
      this.options,
      this.runtime.kind,
      this.tasks.active().map((e) => refOf(e.ref)),
    );
  }

  private sendJoin(): void {
    this.manager?.send(this.joinMessage(), 'join');
  }
}

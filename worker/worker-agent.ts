import type { Clock } from '../core/clock/clock.js';
import { componentLogger, type Logger } from '../core/log/logger.js';
import { PROTOCOL_VERSION, type Command, type Message } from '../core/protocol/index.js';
import type { ContainerRuntime } from './container-runtime.js';
import { awaitEnrolment } from './await-enrolment.js';
import { DealerChannel } from './dealer-channel.js';
import { heartbeatLoop } from './heartbeat-loop.js';
import { joinMessageOf } from './join-message.js';
import { runTaskCommand } from './run-task-command.js';
import { StatusReporter } from './status-reporter.js';
import { TaskConverger } from './task-converger.js';
import { KeptLogFiles } from './kept-log-files.js';
import { TaskLogKeeper } from './task-log-keeper.js';
import { refOf } from './task-refs.js';
import { TaskTable, type TaskEntry } from './task-table.js';
import type { WorkerAgentDeps, WorkerAgentState } from './worker-agent-deps.js';
import { compileWorkerOptions, type WorkerOptions, type WorkerOptionsInput } from './worker-options.js';

const REASON_STOPPED = 'stopped by the GlobalManager';
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
  private readonly stopping = new AbortController();
  /** Reads tasks' output, and keeps ended tasks' last output past their removal. */
  private readonly logs: TaskLogKeeper;
  /** Starts, stops, adopts and reports the tasks; removes them once their end is acknowledged. */
  private readonly converger: TaskConverger;
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
    this.logs = new TaskLogKeeper(options.workerId, options, {
      runtime,
      clock,
      logger,
      files: options.keptLogDir ? new KeptLogFiles(options.keptLogDir) : undefined,
    });
    this.converger = new TaskConverger({
      runtime,
      tasks: this.tasks,
      logs: this.logs,
      clock,
      logger,
      agentState: () => this.state,
      report: (update) => this.reporter?.report(update),
    });
  }

  /**
   * Builds an agent; nothing connects until {@link run}.
   * @throws ConfigError when the options are invalid
   */
  static create(options: WorkerOptionsInput, deps: WorkerAgentDeps): WorkerAgent {
    const compiled = compileWorkerOptions(options);
    // `worker`, the key the CLI and the fleets bind too: a line names its worker once.
    const logger = componentLogger(deps.logger, 'worker', { worker: compiled.workerId });
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
      this.runtime.onEvent((e) => this.converger.onRuntimeEvent(e));
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
      this.reporter.onAcked((r) => this.converger.onAcked(r));
      for (const t of await this.runtime.list()) this.converger.adopt(t);
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
      for (const e of this.tasks.active()) this.converger.stop(e.ref, REASON_LEFT);
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
        this.converger.reconcile(message.desired);
        if (this.state === 'joining') {
          // Joined, so enrolled: Discovery now admits this worker's key.
          this.reporter?.connect();
          this.state = 'active';
          this.logger.info({ desired: message.desired.length }, 'joined');
        }
        return;
      case 'assign':
        for (const a of message.tasks) this.converger.start(a);
        return;
      case 'stop':
        for (const ref of message.tasks) this.converger.stop(refOf(ref), REASON_STOPPED);
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
    const signal = this.stopping.signal;
    const refusal = await awaitEnrolment(
      () => new DealerChannel(o.enrolEndpoint as string, this.logger, o.workerId, o.security),
      () => this.joinMessage(),
      o.workerId,
      this.logger,
      (desk) => {
        this.desk = desk;
      },
      signal,
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

import { Router } from 'zeromq';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type Join,
  type LatencyQuery,
  type Message,
} from '../core/protocol/index.js';
import { LinkGuard, MAX_MANAGER_MESSAGE_BYTES, type LinkIdentity } from '../core/security/index.js';
import { SerialSender } from '../core/transport/index.js';
import { CommandRelay } from './command-relay.js';
import { EnrolmentDesk } from './enrolment-desk.js';
import { fanOutDispatch } from './fan-out-dispatch.js';
import type {
  GlobalManagerDeps,
  GlobalManagerOptions,
  GlobalManagerState,
} from './global-manager-options.js';
import type { WorkerRtt } from './latency-monitor.js';
import { LinkMessageCounts } from './link-metrics.js';
import { joinRefusal, messageAuthorized, peerName } from './link-authorization.js';
import { sampleUsage } from './usage-sampler.js';
import { WorkerSessions } from './worker-sessions.js';

/**
 * Owns the ZeroMQ link to workers and their liveness. A worker joins with a token and its
 * capacity; the join is an intent to the leading JobManager, whose answer carries the worker's
 * full desired set (`sync`); afterwards it gets `assign`/`stop` deltas the leader dispatches. A
 * worker silent past the heartbeat timeout is reported lost (an intent too); the leader re-queues
 * or fails its jobs by their restart policy. The GlobalManager writes no state itself.
 */
export class GlobalManager {
  private state: GlobalManagerState = 'created';
  private readonly router: Router;
  private readonly sender = new SerialSender();
  /** Worker sessions and their liveness (joins, heartbeats, round trips, losses). */
  private readonly sessions: WorkerSessions;
  /** Control peers' commands for workers, relayed to their sessions and answered back. */
  private readonly commands: CommandRelay;
  /** When the sweep started; workers known only from records get a full timeout from then. */
  private runAt = 0;
  /** Joins waiting for the leader, by worker: such a worker is alive, not silent. */
  private readonly joins = new Map<string, Promise<void>>();
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private desk: EnrolmentDesk | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  private lastSampleAt = 0;
  /** Messages received and sent, by type (read by /metrics). */
  readonly messages = new LinkMessageCounts();

  private constructor(
    private readonly options: GlobalManagerOptions,
    private readonly deps: GlobalManagerDeps,
    private readonly guard: LinkGuard | undefined,
  ) {
    this.sessions = new WorkerSessions(options, deps, (identity, m) => this.send(identity, m));
    this.commands = new CommandRelay(
      {
        send: (identity, m) => this.send(identity, m),
        sessionOf: (workerId) => this.sessions.identityOf(workerId),
        tellLeave: (workerId) => this.tellLeave(workerId),
      },
      guard !== undefined,
    );
    this.router = new Router({
      linger: 200,
      mandatory: true,
      // A worker that reconnects takes its routing id over; with routing proofs only the holder
      // of the worker's key can present that id.
      handover: true,
      sendHighWaterMark: 100_000,
      ...(guard ? guard.socketOptions(MAX_MANAGER_MESSAGE_BYTES) : {}),
    });
  }

  /** Binds the endpoint; call {@link run} to start serving. */
  static async create(options: GlobalManagerOptions, deps: GlobalManagerDeps): Promise<GlobalManager> {
    if (options.security && options.joinToken === '') {
      throw new Error('GlobalManager: a secured link needs a join token');
    }
    const guard = options.security
      ? await LinkGuard.create(options.security, 'manager', deps.logger)
      : undefined;
    if (options.security && !options.enrolEndpoint) {
      throw new Error('GlobalManager: a secured link needs an enrolment endpoint (cluster.enrolEndpoint)');
    }
    const gm = new GlobalManager(options, deps, guard);
    try {
      await gm.router.bind(options.endpoint);
      if (options.security && options.enrolEndpoint)
        gm.desk = await EnrolmentDesk.create(
          options.enrolEndpoint,
          options.security,
          options.joinToken,
          deps,
        );
    } catch (err) {
      gm.router.close();
      await guard?.close();
      throw err;
    }
    return gm;
  }

  /** The bound endpoint (resolved port when bound to port 0). */
  get endpoint(): string {
    return this.router.lastEndpoint ?? this.options.endpoint;
  }

  /** The bound enrolment endpoint, on a secured link. */
  get enrolEndpoint(): string | undefined {
    return this.desk?.endpoint;
  }

  getState(): GlobalManagerState {
    return this.state;
  }

  /** Starts receiving and the liveness sweep. */
  run(): void {
    if (this.state !== 'created') throw new Error(`GlobalManager.run in state ${this.state}`);
    this.state = 'running';
    this.runAt = this.deps.clock.now();
    this.desk?.run();
    this.loop = this.receive();
    this.timer = setInterval(() => {
      this.sweeping = this.sweeping
        .then(() => this.sweep())
        .catch((err: unknown) => this.deps.logger.error({ err }, 'liveness sweep failed'));
    }, this.options.heartbeatIntervalMs);
  }

  private async receive(): Promise<void> {
    try {
      for await (const [identity, frame] of this.router) {
        const decoded = decodeMessage(frame as Buffer);
        this.messages.count('in', decoded.ok ? decoded.message.type : 'invalid');
        if (!decoded.ok) {
          this.deps.logger.warn(
            { peer: peerName(identity as Buffer), error: decoded.error },
            'dropped an invalid message',
          );
          continue;
        }
        const m = decoded.message;
        const who = this.guard?.identify(identity as Buffer);
        if (!this.authorized(identity as Buffer, who, m)) continue;
        if (m.type === 'join') {
          if (!(await this.admitJoin(identity as Buffer, who, m))) continue;
          // A join waits for the leader (its answer is the worker's desired set); heartbeats and
          // dispatches must not wait behind it. One join per worker at a time, in order.
          const prev = this.joins.get(m.workerId) ?? Promise.resolve();
          const next = prev
            .then(() => this.sessions.join(identity as Buffer, m))
            .catch((err: unknown) => this.deps.logger.error({ err, worker: m.workerId }, 'join failed'))
            .finally(() => {
              if (this.joins.get(m.workerId) === next) this.joins.delete(m.workerId);
            });
          this.joins.set(m.workerId, next);
          continue;
        }
        // Handled one at a time, in order of arrival.
        await this.handle(identity as Buffer, m, who).catch((err: unknown) =>
          this.deps.logger.error({ err, type: m.type }, 'message handling failed'),
        );
      }
    } catch (err) {
      if (this.state === 'running') this.deps.logger.error({ err }, 'GlobalManager receive loop stopped');
    }
  }

  /**
   * Who may send what (on a secured link, see {@link messageAuthorized}). Refusals are logged
   * with the principal the peer claims, at most the message type.
   */
  private authorized(identity: Buffer, who: LinkIdentity | undefined, m: Message): boolean {
    if (!this.guard) return true;
    const ok = messageAuthorized(who, m);
    if (!ok)
      this.deps.logger.warn({ peer: peerName(identity), type: m.type }, 'refused a message: not authorized');
    return ok;
  }

  /** Whether a join may go on (see {@link joinRefusal}); a refused one is answered `reject`. */
  private async admitJoin(identity: Buffer, who: LinkIdentity | undefined, m: Join): Promise<boolean> {
    const reason = joinRefusal(this.guard !== undefined, who, m, this.options.joinToken);
    if (reason === undefined) return true;
    this.deps.logger.warn({ worker: m.workerId, reason }, 'join refused');
    await this.send(identity, { type: 'reject', v: PROTOCOL_VERSION, reason, rejoin: false });
    return false;
  }

  private async handle(identity: Buffer, m: Message, who: LinkIdentity | undefined): Promise<void> {
    switch (m.type) {
      case 'join':
        return this.sessions.join(identity, m);
      case 'heartbeat':
        return this.sessions.heartbeat(identity, m);
      case 'dispatch':
        return fanOutDispatch(
          m,
          (workerId) => this.sessions.identityOf(workerId),
          (to, out) => this.send(to, out),
        );
      case 'command':
        return this.commands.command(identity, m);
      case 'commandResult':
        return this.commands.result(m, who);
      case 'pong':
        return this.sessions.pong(identity, m);
      case 'latencyQuery':
        return this.onLatencyQuery(identity, m);
      default:
        this.deps.logger.warn({ type: m.type }, 'unexpected message type at the GlobalManager');
    }
  }

  /** @returns false when the peer could not be reached (the error is logged, never thrown). */
  private send(identity: Buffer, m: Message): Promise<boolean> {
    this.messages.count('out', m.type);
    return this.sender
      .run(() => this.router.send([identity, encodeMessage(m)]))
      .then(
        () => true,
        (err: unknown) => {
          // EHOSTUNREACH: the peer is gone; it gets its full desired set when it rejoins.
          this.deps.logger.debug({ err, peer: peerName(identity) }, 'send to peer failed');
          return false;
        },
      );
  }

  /** A control peer in another process (the FrontEnd's /metrics) asks for the round trips. */
  private async onLatencyQuery(identity: Buffer, m: LatencyQuery): Promise<void> {
    await this.send(identity, {
      type: 'latencyReport',
      v: PROTOCOL_VERSION,
      id: m.id,
      workers: this.workerLatency(),
    });
  }

  /**
   * Reports silent workers lost. A worker known only from the records (this GlobalManager
   * restarted) gets a full timeout counted from when this GlobalManager started running, and any
   * heartbeat of it counts as alive. A report the leader could not take is simply made again on
   * the next sweep (the worker is still `ready` in its records).
   */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    const silent = await this.sessions.silent(now, this.joins, this.runAt, this.deps.stores.workers);
    for (const id of silent) await this.sessions.lost(id);
    this.sessions.prune();
    const every = this.options.usageSampleIntervalMs;
    if (every > 0 && now - this.lastSampleAt >= every) {
      this.lastSampleAt = now;
      await sampleUsage(this.deps.stores, now);
    }
  }

  /**
   * Round-trip times to workers (live ones, and gone ones within the retention), for `/metrics`
   * and the worker views.
   */
  workerLatency(): WorkerRtt[] {
    return this.sessions.latencies();
  }

  /** Ids of workers with a live session. */
  connectedWorkers(): string[] {
    return this.sessions.connected();
  }

  /** Tells a worker to leave; it stops everything and exits. */
  async tellLeave(workerId: string): Promise<boolean> {
    return this.sessions.leave(workerId);
  }

  /** Stops serving; pending sends are flushed for up to the socket's linger. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
    await Promise.allSettled([...this.joins.values()]);
    await this.sender.drain();
    this.router.close();
    await this.loop;
    await this.desk?.close();
    await this.guard?.close();
    this.state = 'closed';
  }
}

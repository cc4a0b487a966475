import { Router } from 'zeromq';
import { monotonicNow, type Clock } from '../core/clock/clock.js';
import type { PlacedRef } from '../core/control/index.js';
import type { ControlLink } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type Command,
  type CommandResult,
  type Dispatch,
  type Heartbeat,
  type Join,
  type LatencyQuery,
  type Message,
  type Pong,
  type TaskAssignment,
} from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import {
  claimedPrincipal,
  LinkGuard,
  MAX_MANAGER_MESSAGE_BYTES,
  secretsEqual,
  type LinkIdentity,
  type ServerLinkSecurity,
} from '../core/security/index.js';
import { SerialSender } from '../core/transport/index.js';
import { EnrolmentDesk } from './enrolment-desk.js';
import { LinkMessageCounts } from './link-metrics.js';
import { LatencyMonitor, type WorkerRtt } from './latency-monitor.js';
import { sampleUsage } from './usage-sampler.js';

/** Options of the GlobalManager. */
export interface GlobalManagerOptions {
  /** ZeroMQ ROUTER address workers and control peers connect to. */
  readonly endpoint: string;
  /**
   * Secret a worker presents once to enrol its key (with `security`), or at every join on a
   * plaintext link, where empty accepts any (tests only). Never logged.
   */
  readonly joinToken: string;
  /**
   * CurveZMQ with a ZAP policy and routing proofs: every message is attributed to a worker or a
   * control-plane peer, and refused when it speaks for anyone else. Absent: plaintext (tests).
   */
  readonly security?: ServerLinkSecurity;
  /**
   * Where new workers enrol their keys (required with `security`): the one socket that admits
   * unknown keys, and does nothing else (see enrolment-desk.ts).
   */
  readonly enrolEndpoint?: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** How often a utilisation sample of every worker is appended; 0 disables. */
  readonly usageSampleIntervalMs: number;
  /**
   * How long a gone worker's round-trip series is kept (docs/design/services.md, latency
   * monitor). @defaultValue 10 min
   */
  readonly latencyRetentionMs?: number;
}

/** What the GlobalManager is built from. */
export interface GlobalManagerDeps {
  /** Read only: the worker records the leader projects (liveness sweep, usage samples). */
  readonly stores: Stores;
  /** The leading JobManager: joins and losses are intents it applies. */
  readonly control: ControlLink;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Most command results awaited at once; beyond it the oldest waiter is forgotten. */
const MAX_PENDING_COMMANDS = 10_000;

/** Lifecycle: created → running → closing → closed. */
export type GlobalManagerState = 'created' | 'running' | 'closing' | 'closed';

interface Session {
  readonly identity: Buffer;
  lastSeen: number;
  /** The worker announced the `ping` feature: its heartbeats are answered with a ping. */
  readonly pingable: boolean;
}

/** A command relayed to a worker: who asked, and which worker must answer. */
interface PendingCommand {
  readonly requester: Buffer;
  readonly workerId: string;
}

/** How a peer is named in logs: its principal, never its routing proof. */
function peerName(identity: Buffer): string {
  const id = identity.toString('utf8');
  return claimedPrincipal(id) ?? id.slice(0, 140);
}

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
  private readonly sessions = new Map<string, Session>();
  /** Command id → the control peer waiting for its result. */
  private readonly pendingCommands = new Map<string, PendingCommand>();
  /** When the sweep started; workers known only from records get a full timeout from then. */
  private runAt = 0;
  /** Joins waiting for the leader, by worker: such a worker is alive, not silent. */
  private readonly joins = new Map<string, Promise<void>>();
  /** Last heartbeat of a worker without a session (this GlobalManager restarted): still alive. */
  private readonly heardFrom = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private desk: EnrolmentDesk | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  private lastSampleAt = 0;
  /** Round trips to workers, timed ping → pong on this process's monotonic clock. */
  private readonly latency: LatencyMonitor;
  /** Messages received and sent, by type (read by /metrics). */
  readonly messages = new LinkMessageCounts();

  private constructor(
    private readonly options: GlobalManagerOptions,
    private readonly deps: GlobalManagerDeps,
    private readonly guard: LinkGuard | undefined,
  ) {
    this.latency = new LatencyMonitor(options.latencyRetentionMs, options.heartbeatTimeoutMs);
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
            .then(() => this.onJoin(identity as Buffer, m))
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
   * Who may send what (on a secured link): only control-plane peers dispatch and command; a worker
   * heartbeats and answers commands only as itself; anyone may ask to join (admitJoin decides).
   * Refusals are logged with the principal the peer claims, at most the message type.
   */
  private authorized(identity: Buffer, who: LinkIdentity | undefined, m: Message): boolean {
    if (!this.guard) return true;
    let ok: boolean;
    switch (m.type) {
      case 'join':
        return true;
      case 'heartbeat':
      case 'pong':
      case 'commandResult':
        ok = who?.kind === 'worker' && who.workerId === m.workerId;
        break;
      case 'dispatch':
      case 'command':
      case 'latencyQuery':
        ok = who?.kind === 'control';
        break;
      default:
        ok = false;
    }
    if (!ok)
      this.deps.logger.warn({ peer: peerName(identity), type: m.type }, 'refused a message: not authorized');
    return ok;
  }

  /**
   * Whether a join may go on. Secured link: a worker known by its key joins without the token; a
   * new key is enrolled once, with the join token and a routing id proven with that key; a key or
   * id that belongs to someone else, or a revoked key, is refused. Plaintext link: the token.
   */
  private async admitJoin(identity: Buffer, who: LinkIdentity | undefined, m: Join): Promise<boolean> {
    const refuse = async (reason: string): Promise<false> => {
      this.deps.logger.warn({ worker: m.workerId, reason }, 'join refused');
      await this.send(identity, { type: 'reject', v: PROTOCOL_VERSION, reason, rejoin: false });
      return false;
    };
    const tokenOk = this.options.joinToken === '' || secretsEqual(m.joinToken, this.options.joinToken);
    if (!this.guard) return tokenOk || refuse('join token refused');
    // Only enrolled and control keys complete a handshake here (ZAP); enrolment has its own socket.
    if (who) {
      return (who.kind === 'worker' && who.workerId === m.workerId) || refuse('identity mismatch');
    }
    return refuse('routing id not proven for an enrolled key: enrol at the enrolment endpoint first');
  }

  private async handle(identity: Buffer, m: Message, who: LinkIdentity | undefined): Promise<void> {
    switch (m.type) {
      case 'join':
        return this.onJoin(identity, m);
      case 'heartbeat':
        return this.onHeartbeat(identity, m);
      case 'dispatch':
        return this.onDispatch(m);
      case 'command':
        return this.onCommand(identity, m);
      case 'commandResult':
        return this.onCommandResult(m, who);
      case 'pong':
        return this.onPong(identity, m);
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

  /** A join admitted by {@link admitJoin}: recorded by the leader, answered with the desired set. */
  private async onJoin(identity: Buffer, m: Join): Promise<void> {
    const now = this.deps.clock.now();
    let desired: readonly TaskAssignment[];
    try {
      const out = await this.deps.control.propose({
        kind: 'worker-joined',
        worker: { id: m.workerId, runtime: m.runtime, coreIds: m.coreIds, totalMemoryBytes: m.memoryBytes },
      });
      if (!out.ok) throw new Error(out.reason);
      desired = out.desired ?? [];
    } catch (err) {
      // No leader to record the join: the worker tries again.
      this.deps.logger.warn({ err, worker: m.workerId }, 'join not recorded; the worker will retry');
      await this.send(identity, {
        type: 'reject',
        v: PROTOCOL_VERSION,
        reason: 'join not recorded, retry',
        rejoin: true,
      });
      return;
    }
    const pingable = m.features?.includes('ping') ?? false;
    this.sessions.set(m.workerId, { identity, lastSeen: now, pingable });
    // A worker that no longer answers pings keeps no stale series.
    if (!pingable) this.latency.gone(m.workerId, monotonicNow(this.deps.clock));
    this.heardFrom.delete(m.workerId);
    await this.send(identity, { type: 'sync', v: PROTOCOL_VERSION, desired: [...desired] });
    this.deps.logger.info(
      { worker: m.workerId, cores: m.coreIds.length, desired: desired.length },
      'worker joined',
    );
  }

  private async onHeartbeat(identity: Buffer, m: Heartbeat): Promise<void> {
    const now = this.deps.clock.now();
    const s = this.sessions.get(m.workerId);
    if (s) {
      s.lastSeen = now;
      if (!s.pingable) return;
      const id = this.latency.startPing(m.workerId, monotonicNow(this.deps.clock));
      if (id !== undefined) await this.send(s.identity, { type: 'ping', v: PROTOCOL_VERSION, id });
      return;
    }
    // This GlobalManager does not know the session (it restarted, or declared the worker lost).
    // The heartbeat still proves the worker alive; it is asked to rejoin once per interval, not
    // once per heartbeat, so the requests cannot pile up.
    const asked = this.heardFrom.get(m.workerId);
    this.heardFrom.set(m.workerId, now);
    if (asked !== undefined && now - asked < this.options.heartbeatIntervalMs * 2) return;
    await this.send(identity, {
      type: 'reject',
      v: PROTOCOL_VERSION,
      reason: 'unknown session',
      rejoin: true,
    });
  }

  /** A pong closes a round-trip sample, when it comes from the session it was sent to. */
  private onPong(identity: Buffer, m: Pong): Promise<void> {
    const s = this.sessions.get(m.workerId);
    if (s?.identity.equals(identity)) this.latency.pong(m.workerId, m.id, monotonicNow(this.deps.clock));
    return Promise.resolve();
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

  private async onDispatch(m: Dispatch): Promise<void> {
    const assign = new Map<string, Dispatch['assign']>();
    for (const a of m.assign) assign.set(a.workerId, [...(assign.get(a.workerId) ?? []), a]);
    for (const [workerId, tasks] of assign) {
      const s = this.sessions.get(workerId);
      if (!s) {
        // Joining right now: its sync (the leader's answer) is its full desired set, and the
        // leader re-sends anything still unconfirmed later; nothing to keep here.
        continue;
      }
      await this.send(s.identity, {
        type: 'assign',
        v: PROTOCOL_VERSION,
        tasks: tasks.map(({ workerId: _w, ...t }) => t),
      });
    }
    await this.forwardStops(m.stop);
  }

  /**
   * A control peer's command for one worker: relayed to the worker's session, its answer relayed
   * back by id. `leave` is the GlobalManager's own business (it owns the session). A worker
   * without a session is answered `unreachable` at once.
   */
  private async onCommand(identity: Buffer, m: Command): Promise<void> {
    const answer = async (outcome: CommandResult['outcome'], reason: string | null): Promise<void> => {
      await this.send(identity, {
        type: 'commandResult',
        v: PROTOCOL_VERSION,
        id: m.id,
        workerId: m.workerId,
        outcome,
        reason,
      });
    };
    if (m.command.kind === 'leave') {
      const told = await this.tellLeave(m.workerId);
      return answer(told ? 'done' : 'unreachable', told ? null : `worker ${m.workerId} is not connected`);
    }
    const s = this.sessions.get(m.workerId);
    if (!s) return answer('unreachable', `worker ${m.workerId} is not connected`);
    this.pendingCommands.set(m.id, { requester: identity, workerId: m.workerId });
    if (this.pendingCommands.size > MAX_PENDING_COMMANDS) {
      // Requesters time out on their own; the oldest entries are the ones nobody waits for any more.
      const oldest = this.pendingCommands.keys().next().value;
      if (oldest !== undefined) this.pendingCommands.delete(oldest);
    }
    if (!(await this.send(s.identity, m))) {
      this.pendingCommands.delete(m.id);
      await answer('unreachable', `worker ${m.workerId} could not be reached`);
    }
  }

  private async onCommandResult(m: CommandResult, who: LinkIdentity | undefined): Promise<void> {
    const pending = this.pendingCommands.get(m.id);
    if (!pending) return;
    // Only the worker the command went to answers it.
    if (this.guard && (who?.kind !== 'worker' || who.workerId !== pending.workerId)) return;
    this.pendingCommands.delete(m.id);
    await this.send(pending.requester, m);
  }

  private async forwardStops(stops: readonly PlacedRef[]): Promise<void> {
    const byWorker = new Map<string, PlacedRef[]>();
    for (const s of stops) byWorker.set(s.workerId, [...(byWorker.get(s.workerId) ?? []), s]);
    for (const [workerId, refs] of byWorker) {
      const s = this.sessions.get(workerId);
      if (!s) continue;
      await this.send(s.identity, {
        type: 'stop',
        v: PROTOCOL_VERSION,
        tasks: refs.map(({ job, task, attempt }) => ({ job, task, attempt })),
      });
    }
  }

  /**
   * Reports silent workers lost. A worker known only from the records (this GlobalManager
   * restarted) gets a full timeout counted from when this GlobalManager started running, and any
   * heartbeat of it counts as alive. A report the leader could not take is simply made again on
   * the next sweep (the worker is still `ready` in its records).
   */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    const timeout = this.options.heartbeatTimeoutMs;
    const silent = [...this.sessions].filter(([, s]) => now - s.lastSeen > timeout).map(([id]) => id);
    if (now - this.runAt > timeout) {
      for (const w of await this.deps.stores.workers.list()) {
        if (w.state !== 'ready' && w.state !== 'draining') continue;
        if (this.sessions.has(w.id) || this.joins.has(w.id) || silent.includes(w.id)) continue;
        const heard = this.heardFrom.get(w.id);
        if (heard === undefined || now - heard > timeout) silent.push(w.id);
      }
    }
    for (const id of silent) await this.markLost(id);
    this.latency.prune(monotonicNow(this.deps.clock));
    const every = this.options.usageSampleIntervalMs;
    if (every > 0 && now - this.lastSampleAt >= every) {
      this.lastSampleAt = now;
      await sampleUsage(this.deps.stores, now);
    }
  }

  private async markLost(workerId: string): Promise<void> {
    this.sessions.delete(workerId);
    this.latency.gone(workerId, monotonicNow(this.deps.clock));
    this.heardFrom.delete(workerId);
    try {
      const out = await this.deps.control.propose({ kind: 'worker-lost', worker: workerId });
      if (out.ok) this.deps.logger.warn({ worker: workerId }, 'worker lost: no heartbeat within the timeout');
    } catch (err) {
      this.deps.logger.warn({ err, worker: workerId }, 'worker loss not recorded; retried on the next sweep');
    }
  }

  /**
   * Round-trip times to workers (live ones, and gone ones within the retention), for `/metrics`
   * and the worker views.
   */
  workerLatency(): WorkerRtt[] {
    return this.latency.list(monotonicNow(this.deps.clock));
  }

  /** Ids of workers with a live session. */
  connectedWorkers(): string[] {
    return [...this.sessions.keys()];
  }

  /** Tells a worker to leave; it stops everything and exits. */
  async tellLeave(workerId: string): Promise<boolean> {
    const s = this.sessions.get(workerId);
    if (!s) return false;
    await this.send(s.identity, { type: 'leave', v: PROTOCOL_VERSION });
    this.sessions.delete(workerId);
    this.latency.gone(workerId, monotonicNow(this.deps.clock));
    return true;
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

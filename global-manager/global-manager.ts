import { Router } from 'zeromq';
import type { Clock } from '../core/clock/clock.js';
import { desiredOnWorker, type PlacedRef } from '../core/control/index.js';
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
  type Message,
} from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import { SerialSender, type NudgeLink } from '../core/transport/index.js';
import { markWorkerLost, sampleUsage, settleLostWorker } from './worker-loss.js';

/** Options of the GlobalManager. */
export interface GlobalManagerOptions {
  /** ZeroMQ ROUTER address workers and control peers connect to. */
  readonly endpoint: string;
  /** Secret workers must present; empty accepts any (loopback development only). */
  readonly joinToken: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** How often a utilisation sample of every worker is appended; 0 disables. */
  readonly usageSampleIntervalMs: number;
}

/** What the GlobalManager is built from. */
export interface GlobalManagerDeps {
  readonly stores: Stores;
  readonly nudges: NudgeLink;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Least time between two stored heartbeats of one worker. Liveness is decided in memory; the
 * stored time only feeds `GET /api/v1/workers`, so a minute of staleness is fine there, and a
 * thousand workers cost 17 writes/s instead of hundreds.
 */
export const HEARTBEAT_PERSIST_MS = 60_000;

/** Most command results awaited at once; beyond it the oldest waiter is forgotten. */
const MAX_PENDING_COMMANDS = 10_000;

/** Lifecycle: created → running → closing → closed. */
export type GlobalManagerState = 'created' | 'running' | 'closing' | 'closed';

interface Session {
  readonly identity: Buffer;
  lastSeen: number;
  lastPersisted: number;
}

/**
 * Owns the worker registry and the ZeroMQ link to workers. Workers join with a token and their
 * capacity and receive their full desired set (`sync`); afterwards they get `assign`/`stop`
 * deltas forwarded from the JobManager and Discovery. A worker silent past the heartbeat timeout
 * is marked lost and its jobs are re-queued or failed by their restart policy.
 */
export class GlobalManager {
  private state: GlobalManagerState = 'created';
  private readonly router = new Router({
    linger: 200,
    mandatory: true,
    handover: true,
    sendHighWaterMark: 100_000,
  });
  private readonly sender = new SerialSender();
  private readonly sessions = new Map<string, Session>();
  /** Command id → the control peer waiting for its result. */
  private readonly pendingCommands = new Map<string, Buffer>();
  private readonly startedAt: number;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  private lastSampleAt = 0;

  private constructor(
    private readonly options: GlobalManagerOptions,
    private readonly deps: GlobalManagerDeps,
  ) {
    this.startedAt = deps.clock.now();
  }

  /** Binds the endpoint; call {@link run} to start serving. */
  static async create(options: GlobalManagerOptions, deps: GlobalManagerDeps): Promise<GlobalManager> {
    const gm = new GlobalManager(options, deps);
    await gm.router.bind(options.endpoint);
    return gm;
  }

  /** The bound endpoint (resolved port when bound to port 0). */
  get endpoint(): string {
    return this.router.lastEndpoint ?? this.options.endpoint;
  }

  getState(): GlobalManagerState {
    return this.state;
  }

  /** Starts receiving and the liveness sweep. */
  run(): void {
    if (this.state !== 'created') throw new Error(`GlobalManager.run in state ${this.state}`);
    this.state = 'running';
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
        if (!decoded.ok) {
          this.deps.logger.warn(
            { peer: String(identity), error: decoded.error },
            'dropped an invalid message',
          );
          continue;
        }
        // Handled one at a time: joins and dispatches touch the store in order of arrival.
        await this.handle(identity as Buffer, decoded.message).catch((err: unknown) =>
          this.deps.logger.error({ err, type: decoded.message.type }, 'message handling failed'),
        );
      }
    } catch (err) {
      if (this.state === 'running') this.deps.logger.error({ err }, 'GlobalManager receive loop stopped');
    }
  }

  private async handle(identity: Buffer, m: Message): Promise<void> {
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
        return this.onCommandResult(m);
      default:
        this.deps.logger.warn({ type: m.type }, 'unexpected message type at the GlobalManager');
    }
  }

  /** @returns false when the peer could not be reached (the error is logged, never thrown). */
  private send(identity: Buffer, m: Message): Promise<boolean> {
    return this.sender
      .run(() => this.router.send([identity, encodeMessage(m)]))
      .then(
        () => true,
        (err: unknown) => {
          // EHOSTUNREACH: the peer is gone; it gets its full desired set when it rejoins.
          this.deps.logger.debug({ err, peer: identity.toString() }, 'send to peer failed');
          return false;
        },
      );
  }

  private async onJoin(identity: Buffer, m: Join): Promise<void> {
    if (this.options.joinToken !== '' && m.joinToken !== this.options.joinToken) {
      this.deps.logger.warn({ worker: m.workerId }, 'join refused: bad join token');
      await this.send(identity, {
        type: 'reject',
        v: PROTOCOL_VERSION,
        reason: 'join token refused',
        rejoin: false,
      });
      return;
    }
    const now = this.deps.clock.now();
    await this.deps.stores.workers.join({
      id: m.workerId,
      runtime: m.runtime,
      coreIds: m.coreIds,
      totalMemoryBytes: m.memoryBytes,
      now,
    });
    this.sessions.set(m.workerId, { identity, lastSeen: now, lastPersisted: now });
    const jobs = await this.deps.stores.jobs.listActiveOnWorker(m.workerId);
    const desired = jobs.flatMap((j) => desiredOnWorker(j, m.workerId));
    await this.send(identity, { type: 'sync', v: PROTOCOL_VERSION, desired });
    await this.deps.stores.events.append([
      {
        at: now,
        kind: 'worker-joined',
        worker: m.workerId,
        detail: `${m.coreIds.length} cores, ${m.runtime}`,
      },
    ]);
    this.deps.logger.info(
      { worker: m.workerId, cores: m.coreIds.length, desired: desired.length },
      'worker joined',
    );
    this.deps.nudges.nudge('worker-joined');
  }

  private async onHeartbeat(identity: Buffer, m: Heartbeat): Promise<void> {
    const s = this.sessions.get(m.workerId);
    if (!s) {
      // This GlobalManager does not know the session (it restarted, or declared the worker lost).
      await this.send(identity, {
        type: 'reject',
        v: PROTOCOL_VERSION,
        reason: 'unknown session',
        rejoin: true,
      });
      return;
    }
    const now = this.deps.clock.now();
    s.lastSeen = now;
    // Liveness lives in memory; the store gets it now and then, for the API only. Each write
    // rewrites the worker document, so it is kept rare: at most once per HEARTBEAT_PERSIST_MS.
    if (now - s.lastPersisted >= Math.max(HEARTBEAT_PERSIST_MS, this.options.heartbeatTimeoutMs)) {
      s.lastPersisted = now;
      await this.deps.stores.workers.heartbeat(m.workerId, now);
    }
  }

  private async onDispatch(m: Dispatch): Promise<void> {
    const assign = new Map<string, Dispatch['assign']>();
    for (const a of m.assign) assign.set(a.workerId, [...(assign.get(a.workerId) ?? []), a]);
    for (const [workerId, tasks] of assign) {
      const s = this.sessions.get(workerId);
      if (!s) continue;
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
    this.pendingCommands.set(m.id, identity);
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

  private async onCommandResult(m: CommandResult): Promise<void> {
    const requester = this.pendingCommands.get(m.id);
    if (!requester) return;
    this.pendingCommands.delete(m.id);
    await this.send(requester, m);
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

  /** Marks silent workers lost. Workers known only from the store get a timeout from start-up. */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    const timeout = this.options.heartbeatTimeoutMs;
    const silent = [...this.sessions].filter(([, s]) => now - s.lastSeen > timeout).map(([id]) => id);
    // Lost workers still holding bookings: a GlobalManager died (or a write failed) between
    // marking one lost and settling its jobs. Settling is idempotent, so it is simply redone.
    const unsettled: string[] = [];
    if (now - this.startedAt > timeout) {
      for (const w of await this.deps.stores.workers.list()) {
        if (
          (w.state === 'ready' || w.state === 'draining') &&
          !this.sessions.has(w.id) &&
          !silent.includes(w.id)
        )
          silent.push(w.id);
        if (w.state === 'lost' && w.bookings.length > 0 && !this.sessions.has(w.id)) unsettled.push(w.id);
      }
    }
    for (const id of silent) await this.markLost(id, now);
    for (const id of unsettled) await this.settleLostWorker(id, now);
    const every = this.options.usageSampleIntervalMs;
    if (every > 0 && now - this.lastSampleAt >= every) {
      this.lastSampleAt = now;
      await sampleUsage(this.deps.stores, now);
    }
  }

  private async markLost(workerId: string, now: number): Promise<void> {
    this.sessions.delete(workerId);
    if (await markWorkerLost(this.deps.stores, workerId, now, this.deps.logger))
      await this.settleLostWorker(workerId, now);
  }

  /** Settles the lost worker's jobs (see {@link settleLostWorker}), stops survivors, nudges the JM. */
  private async settleLostWorker(workerId: string, now: number): Promise<void> {
    await settleLostWorker(this.deps.stores, workerId, now, (stops) => this.forwardStops(stops));
    this.deps.nudges.nudge('worker-lost');
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
    return true;
  }

  /** Stops serving; pending sends are flushed for up to the socket's linger. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
    await this.sender.drain();
    this.router.close();
    await this.loop;
    this.state = 'closed';
  }
}

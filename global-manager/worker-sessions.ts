import { monotonicNow } from '../core/clock/clock.js';
import {
  PROTOCOL_VERSION,
  type Heartbeat,
  type Join,
  type Message,
  type Pong,
  type TaskAssignment,
} from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import type { GlobalManagerDeps, GlobalManagerOptions } from './global-manager-options.js';
import { LatencyMonitor, type WorkerRtt } from './latency-monitor.js';
import { silentWorkers } from './silent-workers.js';

interface Session {
  readonly identity: Buffer;
  lastSeen: number;
  /** The worker announced the `ping` feature: its heartbeats are answered with a ping. */
  readonly pingable: boolean;
}

/**
 * The GlobalManager's worker sessions and what proves each worker alive: joins (recorded by the
 * leader, answered with the worker's desired set), heartbeats, pings and their pongs (the round
 * trips), losses and leaves. The GlobalManager owns the socket and passes `send` in, so this
 * never imports it.
 */
export class WorkerSessions {
  private readonly sessions = new Map<string, Session>();
  /** Last heartbeat of a worker without a session (this GlobalManager restarted): still alive. */
  private readonly heardFrom = new Map<string, number>();
  /** Round trips to workers, timed ping → pong on this process's monotonic clock. */
  private readonly latency: LatencyMonitor;

  /** @param send sends one message; false when the peer could not be reached (never throws) */
  constructor(
    private readonly options: Pick<
      GlobalManagerOptions,
      'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'latencyRetentionMs'
    >,
    private readonly deps: Pick<GlobalManagerDeps, 'control' | 'clock' | 'logger'>,
    private readonly send: (identity: Buffer, m: Message) => Promise<boolean>,
  ) {
    this.latency = new LatencyMonitor(options.latencyRetentionMs, options.heartbeatTimeoutMs);
  }

  /** The routing identity of a worker's live session, if it has one. */
  identityOf(workerId: string): Buffer | undefined {
    return this.sessions.get(workerId)?.identity;
  }

  /** Ids of workers with a live session. */
  connected(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Round-trip times (live workers, and gone ones within the retention), each with when this
   * GlobalManager last heard from the worker (`lastSeenAt`; workers that answer pings only).
   */
  latencies(): WorkerRtt[] {
    return this.latency.list(monotonicNow(this.deps.clock));
  }

  /** An admitted join: recorded by the leader, answered with the desired set. */
  async join(identity: Buffer, m: Join): Promise<void> {
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

  /** A heartbeat: the session is alive (a pingable one is pinged); no session: asked to rejoin. */
  async heartbeat(identity: Buffer, m: Heartbeat): Promise<void> {
    const now = this.deps.clock.now();
    const s = this.sessions.get(m.workerId);
    if (s) {
      s.lastSeen = now;
      this.latency.seen(m.workerId, now);
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
  pong(identity: Buffer, m: Pong): Promise<void> {
    const s = this.sessions.get(m.workerId);
    if (s?.identity.equals(identity)) {
      const now = this.deps.clock.now();
      s.lastSeen = now;
      this.latency.pong(m.workerId, m.id, monotonicNow(this.deps.clock));
      // After the sample: a worker's first pong opens its series, which then carries the time.
      this.latency.seen(m.workerId, now);
    }
    return Promise.resolve();
  }

  /**
   * The workers silent past the heartbeat timeout at `now` (see {@link silentWorkers}).
   * @param joining workers whose join waits for the leader (alive, not silent)
   * @param runAt when the GlobalManager started running
   */
  silent(
    now: number,
    joining: { has(workerId: string): boolean },
    runAt: number,
    workers: Stores['workers'],
  ): Promise<string[]> {
    return silentWorkers(
      now,
      this.options.heartbeatTimeoutMs,
      { sessions: this.sessions, joining, heardFrom: this.heardFrom, runAt },
      workers,
    );
  }

  /** Forgets the round trips of workers gone longer than the retention. */
  prune(): void {
    this.latency.prune(monotonicNow(this.deps.clock));
  }

  /**
   * Ends a silent worker's session and reports it lost. A report the leader could not take is
   * simply made again on the next sweep (the worker is still `ready` in its records).
   */
  async lost(workerId: string): Promise<void> {
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

  /** Tells a worker to leave and ends its session. @returns false when it has no session */
  async leave(workerId: string): Promise<boolean> {
    const s = this.sessions.get(workerId);
    if (!s) return false;
    await this.send(s.identity, { type: 'leave', v: PROTOCOL_VERSION });
    this.sessions.delete(workerId);
    this.latency.gone(workerId, monotonicNow(this.deps.clock));
    return true;
  }
}

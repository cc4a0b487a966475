import { Router } from 'zeromq';
import type { Clock } from '../core/clock/clock.js';
import type { ControlLink } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type Report } from '../core/protocol/index.js';
import {
  claimedPrincipal,
  LinkGuard,
  MAX_DISCOVERY_MESSAGE_BYTES,
  type ServerLinkSecurity,
} from '../core/security/index.js';
import { SerialSender } from '../core/transport/index.js';

/**
 * Longest a report waits to be batched with others. Short enough that a task's end frees its
 * cores within a few milliseconds, long enough to turn bursts into one intent.
 */
export const BATCH_WINDOW_MS = 10;
/** Reports that flush a batch at once. */
export const MAX_BATCH = 512;

/** Options of Discovery. */
export interface DiscoveryOptions {
  /** ZeroMQ ROUTER address workers send reports to. */
  readonly endpoint: string;
  /**
   * CurveZMQ with a ZAP policy (enrolled workers only) and routing proofs: a worker reports only
   * as itself. Absent: plaintext (tests).
   */
  readonly security?: ServerLinkSecurity;
}

/** What Discovery is built from. */
export interface DiscoveryDeps {
  /** The leading JobManager, which applies the reports to the control state. */
  readonly control: ControlLink;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type DiscoveryState = 'created' | 'running' | 'closing' | 'closed';

interface Pending {
  readonly identity: Buffer;
  readonly report: Report;
}

/**
 * Receives task reports from workers and hands them, in batches, to the leading JobManager as one
 * `reports` intent; the reports are acknowledged once that intent is durable (the leader applies
 * them, frees the cores of ended tasks, stops stale containers and schedules again). Reports are
 * idempotent: a repeat changes nothing and is acknowledged again. When no leader answers, nothing
 * is acknowledged and the workers resend.
 */
export class Discovery {
  private state: DiscoveryState = 'created';
  private readonly router: Router;
  private readonly sender = new SerialSender();
  private batch: Pending[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly deps: DiscoveryDeps,
    private readonly guard: LinkGuard | undefined,
  ) {
    this.router = new Router({
      linger: 200,
      handover: true,
      ...(guard ? guard.socketOptions(MAX_DISCOVERY_MESSAGE_BYTES) : {}),
    });
  }

  /** Binds the endpoint; call {@link run} to start. */
  static async create(options: DiscoveryOptions, deps: DiscoveryDeps): Promise<Discovery> {
    const guard = options.security
      ? await LinkGuard.create(options.security, 'discovery', deps.logger)
      : undefined;
    const d = new Discovery(deps, guard);
    try {
      await d.router.bind(options.endpoint);
    } catch (err) {
      d.router.close();
      await guard?.close();
      throw err;
    }
    return d;
  }

  get endpoint(): string {
    return this.router.lastEndpoint ?? '';
  }

  getState(): DiscoveryState {
    return this.state;
  }

  run(): void {
    if (this.state !== 'created') throw new Error(`Discovery.run in state ${this.state}`);
    this.state = 'running';
    this.loop = this.receive();
  }

  private async receive(): Promise<void> {
    try {
      for await (const [identity, frame] of this.router) {
        const d = decodeMessage(frame as Buffer);
        if (!d.ok || d.message.type !== 'report') {
          this.deps.logger.warn(
            { error: d.ok ? `unexpected ${d.message.type}` : d.error },
            'dropped a message at Discovery',
          );
          continue;
        }
        if (this.guard) {
          // A worker reports only as itself; the leader then applies only reports about tasks
          // placed on that worker, so a worker cannot speak for another's tasks either.
          const who = this.guard.identify(identity as Buffer);
          if (who?.kind !== 'worker' || who.workerId !== d.message.workerId) {
            this.deps.logger.warn(
              { peer: claimedPrincipal((identity as Buffer).toString('utf8')), worker: d.message.workerId },
              'refused a report: not from that worker',
            );
            continue;
          }
        }
        this.batch.push({ identity: identity as Buffer, report: d.message });
        if (this.batch.length >= MAX_BATCH) this.scheduleFlush(0);
        else this.scheduleFlush(BATCH_WINDOW_MS);
      }
    } catch (err) {
      if (this.state === 'running') this.deps.logger.error({ err }, 'Discovery receive loop stopped');
    }
  }

  private scheduleFlush(delay: number): void {
    if (this.flushTimer && delay > 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing
        .then(() => this.flush())
        .catch((err: unknown) => this.deps.logger.error({ err }, 'report batch failed'));
    }, delay);
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    try {
      await this.deps.control.propose({ kind: 'reports', reports: batch.map((p) => p.report) });
    } catch (err) {
      // Not acknowledged: the workers resend, and a later batch tries again.
      this.deps.logger.warn({ err, reports: batch.length }, 'reports not applied; they stay unacknowledged');
      return;
    }
    const acks = new Map<string, { identity: Buffer; ids: string[] }>();
    for (const p of batch) {
      const key = p.identity.toString('hex');
      const entry = acks.get(key) ?? { identity: p.identity, ids: [] };
      entry.ids.push(p.report.id);
      acks.set(key, entry);
    }
    for (const { identity, ids } of acks.values()) {
      await this.sender
        .run(() => this.router.send([identity, encodeMessage({ type: 'ack', v: PROTOCOL_VERSION, ids })]))
        .catch((err: unknown) =>
          this.deps.logger.debug({ err }, 'ack not delivered; the worker will resend'),
        );
    }
  }

  /** Flushes what was received and stops. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    await this.flushing;
    await this.flush().catch((err: unknown) => this.deps.logger.error({ err }, 'final report batch failed'));
    await this.sender.drain();
    this.router.close();
    await this.loop;
    await this.guard?.close();
    this.state = 'closed';
  }
}

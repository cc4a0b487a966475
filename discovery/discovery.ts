import { Router } from 'zeromq';
import type { Clock } from '../core/clock/clock.js';
import type { ControlLink } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type Report } from '../core/protocol/index.js';
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
  private readonly router = new Router({ linger: 200, handover: true });
  private readonly sender = new SerialSender();
  private batch: Pending[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private loop: Promise<void> | undefined;

  private constructor(private readonly deps: DiscoveryDeps) {}

  /** Binds the endpoint; call {@link run} to start. */
  static async create(options: DiscoveryOptions, deps: DiscoveryDeps): Promise<Discovery> {
    const d = new Discovery(deps);
    await d.router.bind(options.endpoint);
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
    this.state = 'closed';
  }
}

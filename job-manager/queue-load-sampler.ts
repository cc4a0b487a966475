import { SLEEP_CANCELLED, type Clock } from '../core/clock/clock.js';
import { Ticker, type TickerState } from '../core/clock/ticker.js';
import type { ServiceLoadCommand } from '../core/control-state/control-command.js';
import type { ControlState, IntentPort } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import {
  describeQueue,
  queueLoadSource,
  type QueueLengthProbe,
} from '../core/services/queue-length-probe.js';
import type { QueueTarget } from '../core/services/service-model.js';

/** Options of the {@link QueueLoadSampler}. */
export interface QueueLoadSamplerOptions {
  /**
   * How often the leader's state is looked at for services due a sample (each is sampled once per
   * its own `autoscale.periodMs`), so this bounds how late a sample comes. @defaultValue 250
   */
  readonly tickMs?: number;
  /**
   * Longest wait for one queue's length; a read still pending then counts as failed (the
   * previous sample stays until it goes stale). Capped by the service's period.
   * @defaultValue 2000
   */
  readonly sampleTimeoutMs?: number;
}

/** What the sampler reads and writes through: the leader in this process, and the queues. */
export interface QueueLoadSamplerDeps {
  /** The leader's state (undefined unless leading) and its intent port. */
  readonly leader: IntentPort & { view(): ControlState | undefined };
  /** Where queue lengths are read; undefined: no Redis configured (each such service is warned about). */
  readonly probe: QueueLengthProbe | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type QueueLoadSamplerState = TickerState;

/** One report the sampler proposed (what {@link QueueLoadSampler.tick} returns, for tests). */
export type QueueLoadReport = Omit<ServiceLoadCommand, 'at'>;

/** Marks a read that took longer than the sample timeout. */
const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * The autoscaler's queue-length input (docs/design/services.md, "The autoscaler's control law"):
 * next to the JobManager and only while it leads, reads the length of each queue-targeted
 * service's Redis list or BullMQ queue once per that service's period and proposes it as a
 * `service-load` report from source `queue:<service>`, exactly what a gateway sends. The leader
 * logs it, so the control law (core/services/autoscale.ts) stays unchanged and its decisions
 * replay from the log. A read that fails is logged and skipped: the last sample counts until it
 * is 3 periods old, then the load is taken as 0.
 */
export class QueueLoadSampler {
  private readonly ticker: Ticker;
  /** service → when it was last read (attempted), this leader's own pacing. */
  private readonly sampledAt = new Map<string, number>();
  /** service → the queue last warned about (no probe, or failing reads), so each is said once. */
  private readonly warned = new Map<string, string>();

  private constructor(
    private readonly options: Required<QueueLoadSamplerOptions>,
    private readonly deps: QueueLoadSamplerDeps,
  ) {
    this.ticker = new Ticker({
      name: 'QueueLoadSampler',
      periodMs: options.tickMs,
      clock: deps.clock,
      tick: () => this.tick(),
      // A leader stepping down mid-tick refuses the intents: the next tick (or leader) goes again.
      onError: (err) => deps.logger.warn({ err }, 'queue sampling tick failed'),
    });
  }

  /** Checks the options; call {@link run} to start sampling. */
  static create(options: QueueLoadSamplerOptions, deps: QueueLoadSamplerDeps): QueueLoadSampler {
    const o = { tickMs: 250, sampleTimeoutMs: 2000, ...options };
    if (!(o.sampleTimeoutMs > 0))
      throw new Error(`QueueLoadSampler: sampleTimeoutMs must be > 0, got ${o.sampleTimeoutMs}`);
    return new QueueLoadSampler(o, deps);
  }

  getState(): QueueLoadSamplerState {
    return this.ticker.getState();
  }

  run(): void {
    this.ticker.run();
  }

  /**
   * Samples every queue-targeted service whose period has passed since its last sample, now, and
   * proposes the reports (each answered once durable, or refused). Empty when not leading.
   */
  async tick(): Promise<QueueLoadReport[]> {
    const view = this.deps.leader.view();
    if (!view) {
      // A later term starts afresh: its first tick samples every service at once.
      this.sampledAt.clear();
      return [];
    }
    const now = this.deps.clock.now();
    const due: { name: string; queue: QueueTarget; periodMs: number }[] = [];
    const present = new Set<string>();
    for (const { spec } of view.services.list()) {
      const queue = spec.autoscale?.queue;
      if (!spec.autoscale || !queue) continue;
      present.add(spec.name);
      const last = this.sampledAt.get(spec.name);
      if (last !== undefined && now - last < spec.autoscale.periodMs) continue;
      this.sampledAt.set(spec.name, now);
      due.push({ name: spec.name, queue, periodMs: spec.autoscale.periodMs });
    }
    for (const name of this.sampledAt.keys()) if (!present.has(name)) this.sampledAt.delete(name);
    for (const name of this.warned.keys()) if (!present.has(name)) this.warned.delete(name);
    const reports = await Promise.all(due.map((d) => this.sample(d)));
    return reports.filter((r): r is QueueLoadReport => r !== undefined);
  }

  /** Stops sampling and waits for a tick in progress. */
  close(): Promise<void> {
    return this.ticker.close();
  }

  /** Reads one queue and proposes its report; undefined when there was nothing to report. */
  private async sample(d: {
    name: string;
    queue: QueueTarget;
    periodMs: number;
  }): Promise<QueueLoadReport | undefined> {
    const what = describeQueue(d.queue);
    const probe = this.deps.probe;
    if (!probe) {
      this.warnOnce(
        d.name,
        `no-probe ${what}`,
        { service: d.name, queue: what },
        'service has a queue-length target but no Redis is configured here (backends.queue is not redis): its load counts as 0',
      );
      return undefined;
    }
    let length: number;
    try {
      const ms = Math.min(this.options.sampleTimeoutMs, d.periodMs);
      const read = await this.withTimeout(probe.length(d.queue), ms);
      if (read === TIMED_OUT) throw new Error(`no answer within ${ms} ms`);
      length = read;
    } catch (err) {
      this.warnOnce(
        d.name,
        `failing ${what}`,
        { service: d.name, queue: what, err },
        'queue length unreadable: the last sample counts until it is stale',
      );
      return undefined;
    }
    if (this.warned.get(d.name)?.startsWith('failing'))
      this.deps.logger.info({ service: d.name, queue: what }, 'queue length readable again');
    this.warned.delete(d.name);
    const report: QueueLoadReport = {
      kind: 'service-load',
      source: queueLoadSource(d.name),
      periodMs: d.periodMs,
      samples: [{ name: d.name, inFlight: length }],
    };
    const out = await this.deps.leader.propose(report);
    if (!out.ok) {
      this.deps.logger.debug({ report, reason: out.reason }, 'queue load report refused');
      return undefined;
    }
    return report;
  }

  /** `read`, or {@link TIMED_OUT} after `ms` on the Clock (the late read's outcome is dropped). */
  private async withTimeout(read: Promise<number>, ms: number): Promise<number | typeof TIMED_OUT> {
    const timer = new AbortController();
    const onClose = (): void => timer.abort(SLEEP_CANCELLED);
    this.ticker.signal.addEventListener('abort', onClose, { once: true });
    try {
      return await Promise.race([
        read,
        this.deps.clock.sleep(ms, timer.signal).then(
          (): typeof TIMED_OUT => TIMED_OUT,
          (): typeof TIMED_OUT => TIMED_OUT,
        ),
      ]);
    } finally {
      timer.abort(SLEEP_CANCELLED);
      this.ticker.signal.removeEventListener('abort', onClose);
      read.catch(() => undefined); // a late rejection is not unhandled
    }
  }

  private warnOnce(service: string, key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.get(service) === key) return;
    this.warned.set(service, key);
    this.deps.logger.warn(fields, message);
  }
}

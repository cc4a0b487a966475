import { MAX_LATENCY_REPORT_WORKERS, type WorkerRtt } from '../core/protocol/index.js';

export type { WorkerRtt };

/** Weight of a new round-trip sample in the moving average (PhysarumSM's ping monitor). */
export const RTT_EWMA_ALPHA = 0.1;

/** How long a gone worker's round-trip series is kept. @defaultValue 10 min */
export const DEFAULT_LATENCY_RETENTION_MS = 10 * 60_000;

/**
 * Most workers tracked at once. Live workers are bounded by the fleet; this only bounds a
 * GlobalManager whose workers churn faster than the retention drops them.
 */
export const MAX_TRACKED_WORKERS = MAX_LATENCY_REPORT_WORKERS;

/**
 * The exponentially weighted moving average after one more sample: the first sample is taken as
 * it is, then `prev + alpha × (sample − prev)`.
 */
export function ewma(prev: number | undefined, sample: number, alpha = RTT_EWMA_ALPHA): number {
  return prev === undefined ? sample : prev + alpha * (sample - prev);
}

interface Entry {
  lastMs: number;
  ewmaMs: number;
  samples: number;
  /** Monotonic ms when the worker went, or undefined while it is live. */
  goneAt: number | undefined;
  /** Epoch ms of the worker's last message, once {@link LatencyMonitor.seen} was told. */
  lastSeenAt?: number;
}

interface Outstanding {
  readonly id: string;
  readonly sentAt: number;
}

/**
 * Round-trip times to workers, measured on the GlobalManager's own monotonic clock: a `ping` goes
 * out after a worker's heartbeat and its `pong` (same id) closes the sample, so the hosts' clocks
 * never meet. One ping per worker is outstanding at a time; an unanswered one is given up after
 * `pingTimeoutMs` (the next heartbeat then sends a fresh one). A worker that goes (left, lost,
 * removed) keeps its series for `retentionMs`, then it is dropped; a new sample revives it.
 * Every time argument is monotonic milliseconds, except the epoch time given to {@link seen}
 * (reported to other processes, so it must be wall-clock). No I/O.
 */
export class LatencyMonitor {
  private readonly entries = new Map<string, Entry>();
  private readonly pings = new Map<string, Outstanding>();
  private nextId = 0;

  constructor(
    private readonly retentionMs: number = DEFAULT_LATENCY_RETENTION_MS,
    private readonly pingTimeoutMs: number = 5_000,
  ) {}

  /**
   * The id of a ping to send to `workerId` now, or undefined while the previous one may still be
   * answered.
   */
  startPing(workerId: string, now: number): string | undefined {
    const out = this.pings.get(workerId);
    if (out && now - out.sentAt < this.pingTimeoutMs) return undefined;
    const id = (this.nextId++).toString(36);
    this.pings.set(workerId, { id, sentAt: now });
    return id;
  }

  /**
   * A pong from `workerId` (already authenticated as that worker): records a sample when it
   * answers that worker's outstanding ping.
   * @returns the sample in ms, or undefined for a stale or unknown id
   */
  pong(workerId: string, id: string, now: number): number | undefined {
    const out = this.pings.get(workerId);
    if (!out || out.id !== id) return undefined;
    this.pings.delete(workerId);
    const rtt = Math.max(0, now - out.sentAt);
    this.record(workerId, rtt);
    return rtt;
  }

  /** Adds one sample for a live worker. */
  record(workerId: string, rttMs: number): void {
    const e = this.entries.get(workerId);
    if (e) {
      e.lastMs = rttMs;
      e.ewmaMs = ewma(e.ewmaMs, rttMs);
      e.samples++;
      e.goneAt = undefined;
      return;
    }
    if (this.entries.size >= MAX_TRACKED_WORKERS) this.dropOldestGone();
    if (this.entries.size >= MAX_TRACKED_WORKERS) return;
    this.entries.set(workerId, {
      lastMs: rttMs,
      ewmaMs: ewma(undefined, rttMs),
      samples: 1,
      goneAt: undefined,
    });
  }

  /**
   * The worker's latest message arrived at `epochMs` (wall clock, for the worker views). Kept on
   * the worker's series, so a gone worker still reports when it was last heard from; a worker
   * with no series yet gets it with its first sample.
   */
  seen(workerId: string, epochMs: number): void {
    const e = this.entries.get(workerId);
    if (e) e.lastSeenAt = Math.max(e.lastSeenAt ?? 0, epochMs);
  }

  /** The worker left, was lost or removed: its series is dropped `retentionMs` from `now`. */
  gone(workerId: string, now: number): void {
    this.pings.delete(workerId);
    const e = this.entries.get(workerId);
    if (e && e.goneAt === undefined) e.goneAt = now;
  }

  /** Drops the series of workers gone for at least the retention; returns their ids. */
  prune(now: number): string[] {
    const dropped: string[] = [];
    for (const [id, e] of this.entries) {
      if (e.goneAt !== undefined && now - e.goneAt >= this.retentionMs) {
        this.entries.delete(id);
        dropped.push(id);
      }
    }
    return dropped;
  }

  /** One worker's round trip, if it has a series. */
  get(workerId: string): WorkerRtt | undefined {
    const e = this.entries.get(workerId);
    return e ? view(workerId, e) : undefined;
  }

  /** Every series still kept at `now` (expired ones are pruned first). */
  list(now: number): WorkerRtt[] {
    this.prune(now);
    return [...this.entries].map(([id, e]) => view(id, e));
  }

  private dropOldestGone(): void {
    let oldest: [string, number] | undefined;
    for (const [id, e] of this.entries) {
      if (e.goneAt !== undefined && (!oldest || e.goneAt < oldest[1])) oldest = [id, e.goneAt];
    }
    if (oldest) this.entries.delete(oldest[0]);
  }
}

function view(workerId: string, e: Entry): WorkerRtt {
  return {
    workerId,
    lastMs: e.lastMs,
    ewmaMs: e.ewmaMs,
    samples: e.samples,
    gone: e.goneAt !== undefined,
    ...(e.lastSeenAt !== undefined ? { lastSeenAt: e.lastSeenAt } : {}),
  };
}

import { createHash } from 'node:crypto';
import { SLEEP_CANCELLED, type Clock } from '../core/clock/clock.js';
import { componentLogger, type Logger } from '../core/log/logger.js';
import { PROTOCOL_VERSION, taskRefKey, type Report, type TaskRef } from '../core/protocol/index.js';
import type { ClientLinkSecurity } from '../core/security/index.js';
import { DealerChannel } from './dealer-channel.js';
import { isEnded, type ReportedState } from './report-state.js';

/** Longest report id the protocol accepts. */
const MAX_ID_LENGTH = 128;

/** One state change to report. `at` is when it was observed, not when it is sent. */
export interface StatusUpdate {
  readonly ref: TaskRef;
  readonly state: ReportedState;
  readonly exitCode: number | null;
  readonly reason: string | null;
  readonly at: number;
  /** With `running`: the image the container runs, by digest. */
  readonly imageDigest?: string | undefined;
}

export interface StatusReporterOptions {
  readonly workerId: string;
  /** Discovery's ROUTER address. */
  readonly discoveryEndpoint: string;
  /** First resend delay; doubles per resend. */
  readonly retryMinMs: number;
  /** Largest resend delay. */
  readonly retryMaxMs: number;
  /** CurveZMQ keys; reports then travel encrypted under the worker's proven identity. */
  readonly security?: ClientLinkSecurity;
  /**
   * Reports queue until {@link StatusReporter.connect}. A secured worker connects once the
   * GlobalManager has accepted its join: Discovery admits enrolled keys only.
   */
  readonly connectLater?: boolean;
}

export type AckListener = (report: Report) => void;

interface Pending {
  readonly report: Report;
  /** When it is sent again unless acknowledged first (clock ms). */
  nextAt: number;
  /** The wait after the next resend (doubles up to retryMaxMs). */
  delay: number;
}

/**
 * The id of the report of `ref` reaching `state` on `workerId`: deterministic, so a resend, a
 * restarted agent re-reporting an adopted container, or two paths reporting the same change all
 * carry one id and Discovery deduplicates them naturally. Readable
 * (`worker/job/task#attempt:state`) when it fits the protocol's 128 characters, otherwise
 * `sha256:` and a digest of the same fields.
 */
export function reportId(workerId: string, ref: TaskRef, state: ReportedState): string {
  const readable = `${workerId}/${taskRefKey(ref)}:${state}`;
  if (readable.length <= MAX_ID_LENGTH) return readable;
  const digest = createHash('sha256')
    .update(JSON.stringify([workerId, ref.job, ref.task, ref.attempt, state]))
    .digest('base64url');
  return `sha256:${digest}`;
}

/**
 * Delivers task reports to Discovery at least once. Each report is resent with backoff
 * (retryMinMs doubling to retryMaxMs, forever while the reporter is open) until an `ack` names
 * its id. Memory stays bounded: at most one report per task ref is pending, because a newer state
 * of the same ref replaces an older one that is not an end (states only move forward, so
 * Discovery would ignore the older one anyway); an end state is never replaced.
 *
 * One resend loop per reporter, sleeping until the earliest due report, instead of a timer per
 * report: reports are normally acknowledged within milliseconds, and a timer (with its abort)
 * per report cost a measurable share of a process simulating a thousand workers. A report queued
 * while the loop sleeps towards a later time is resent at that wake (at most retryMaxMs late).
 */
export class StatusReporter {
  private readonly channel: DealerChannel;
  private readonly pendingByRef = new Map<string, Pending>();
  private readonly pendingById = new Map<string, Pending>();
  private readonly ackListeners: AckListener[] = [];
  private emptyWaiters: (() => void)[] = [];
  private readonly ackLoop: Promise<void>;
  /** The resend loop, running while reports are pending. */
  private resending: Promise<void> | undefined;
  private readonly closing = new AbortController();
  private closed = false;

  private constructor(
    private readonly options: StatusReporterOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.channel = options.security
      ? new DealerChannel(
          options.discoveryEndpoint,
          logger,
          options.workerId,
          options.security,
          !options.connectLater,
        )
      : new DealerChannel(options.discoveryEndpoint, logger, undefined, undefined, !options.connectLater);
    this.ackLoop = this.receiveAcks();
  }

  /** Connects to Discovery (the connection completes in the background) and starts listening. */
  static create(options: StatusReporterOptions, deps: { clock: Clock; logger: Logger }): StatusReporter {
    return new StatusReporter(options, deps.clock, componentLogger(deps.logger, 'status-reporter'));
  }

  /** Connects to Discovery when created with `connectLater`; idempotent. */
  connect(): void {
    this.channel.connect();
  }

  /** Queues a report and sends it now. Ignored when an end state of the ref is already pending. */
  report(update: StatusUpdate): void {
    if (this.closed) return;
    const refKey = taskRefKey(update.ref);
    const previous = this.pendingByRef.get(refKey);
    if (previous) {
      if (isEnded(previous.report.state)) return;
      this.drop(refKey, previous);
    }
    const report: Report = {
      type: 'report',
      v: PROTOCOL_VERSION,
      id: reportId(this.options.workerId, update.ref, update.state),
      workerId: this.options.workerId,
      job: update.ref.job,
      task: update.ref.task,
      attempt: update.ref.attempt,
      state: update.state,
      exitCode: update.exitCode,
      reason: update.reason,
      at: update.at,
      ...(update.imageDigest ? { imageDigest: update.imageDigest } : {}),
    };
    const delay = this.options.retryMinMs;
    const pending: Pending = { report, nextAt: this.clock.now() + delay, delay };
    this.pendingByRef.set(refKey, pending);
    this.pendingById.set(report.id, pending);
    // Keyed by id: while Discovery is unreachable the queue holds one copy, not one per resend.
    this.channel.send(report, report.id);
    this.startResending();
  }

  /** Called with each report once Discovery acknowledges it. */
  onAcked(listener: AckListener): void {
    this.ackListeners.push(listener);
  }

  /** Reports sent but not yet acknowledged. */
  pendingReports(): Report[] {
    return [...this.pendingByRef.values()].map((p) => p.report);
  }

  /** Resolves true once nothing is pending, or false after `timeoutMs` (on the clock). */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pendingByRef.size === 0) return true;
    const timeout = new AbortController();
    const emptied = new Promise<boolean>((resolve) => this.emptyWaiters.push(() => resolve(true)));
    const timedOut = this.clock.sleep(timeoutMs, timeout.signal).then(
      () => false,
      () => true,
    );
    const result = await Promise.race([emptied, timedOut]);
    timeout.abort(SLEEP_CANCELLED);
    return result;
  }

  /** Stops resending and closes the connection; unacknowledged reports are abandoned. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(SLEEP_CANCELLED);
    this.pendingByRef.clear();
    this.pendingById.clear();
    this.channel.close();
    await this.resending;
    await this.ackLoop;
    for (const w of this.emptyWaiters) w();
    this.emptyWaiters = [];
  }

  private startResending(): void {
    if (this.resending || this.closed) return;
    this.resending = this.resendDue().finally(() => {
      this.resending = undefined;
      if (this.pendingByRef.size > 0) this.startResending();
    });
  }

  /** Sleeps until the earliest due report, resends every due one, until nothing is pending. */
  private async resendDue(): Promise<void> {
    while (!this.closed && this.pendingByRef.size > 0) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const p of this.pendingByRef.values()) if (p.nextAt < earliest) earliest = p.nextAt;
      try {
        await this.clock.sleep(Math.max(0, earliest - this.clock.now()), this.closing.signal);
      } catch {
        return; // closed
      }
      const now = this.clock.now();
      for (const p of this.pendingByRef.values()) {
        if (p.nextAt > now) continue;
        this.logger.debug({ id: p.report.id }, 'resending unacknowledged report');
        this.channel.send(p.report, p.report.id);
        p.delay = Math.min(p.delay * 2, this.options.retryMaxMs);
        p.nextAt = now + p.delay;
      }
    }
  }

  private async receiveAcks(): Promise<void> {
    try {
      for await (const message of this.channel.messages()) {
        if (message.type !== 'ack') {
          this.logger.warn({ type: message.type }, 'unexpected message from Discovery; dropped');
          continue;
        }
        for (const id of message.ids) this.acknowledge(id);
      }
    } catch (err) {
      this.logger.error({ err }, 'Discovery connection failed');
    }
  }

  private acknowledge(id: string): void {
    const pending = this.pendingById.get(id);
    if (!pending) return; // a duplicate ack, or for a report a newer state replaced
    this.drop(taskRefKey(pending.report), pending);
    for (const l of this.ackListeners) {
      try {
        l(pending.report);
      } catch (err) {
        this.logger.error({ err, id }, 'ack listener failed');
      }
    }
  }

  private drop(refKey: string, pending: Pending): void {
    this.pendingByRef.delete(refKey);
    this.pendingById.delete(pending.report.id);
    if (this.pendingByRef.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const w of waiters) w();
    }
  }
}

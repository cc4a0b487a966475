import { Router } from 'zeromq';
import type { Clock } from '../core/clock/clock.js';
import type { Logger } from '../core/log/logger.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type Report } from '../core/protocol/index.js';
import type { Stores } from '../core/store/store-ports.js';
import { SerialSender, type DispatchLink, type NudgeLink } from '../core/transport/index.js';
import { releaseBookings, type PlacedRef } from '../core/control/index.js';
import { applyJobReports } from './apply-report-batch.js';

/**
 * Longest a report waits to be batched with others. Short enough that a task's end frees its
 * cores within a few milliseconds, long enough to turn bursts into one write per job.
 */
export const BATCH_WINDOW_MS = 10;
/** Reports that flush a batch at once. */
export const MAX_BATCH = 512;
/** Jobs whose reports are applied concurrently within a batch. */
const JOB_CONCURRENCY = 16;

/** Options of Discovery. */
export interface DiscoveryOptions {
  /** ZeroMQ ROUTER address workers send reports to. */
  readonly endpoint: string;
}

/** What Discovery is built from. */
export interface DiscoveryDeps {
  readonly stores: Stores;
  readonly nudges: NudgeLink;
  readonly dispatch: DispatchLink;
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
 * Receives task reports from workers, applies them to the store in batches (one conditional
 * write per job), frees the resources of ended tasks, acknowledges the reports once durable,
 * and nudges the JobManager when capacity was freed. Reports are idempotent: a repeat changes
 * nothing and is acknowledged again.
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
    const byJob = new Map<string, Report[]>();
    for (const p of batch) byJob.set(p.report.job, [...(byJob.get(p.report.job) ?? []), p.report]);
    const now = this.deps.clock.now();
    const failedJobs = new Set<string>();
    const release: PlacedRef[] = [];
    const stops: Parameters<DispatchLink['dispatch']>[0]['stop'] = [];
    const events: Parameters<Stores['events']['append']>[0][number][] = [];
    const jobs = [...byJob];
    for (let i = 0; i < jobs.length; i += JOB_CONCURRENCY) {
      await Promise.all(
        jobs.slice(i, i + JOB_CONCURRENCY).map(async ([job, reports]) => {
          try {
            const out = await applyJobReports(this.deps.stores, job, reports, now);
            release.push(...out.release);
            stops.push(...out.stops);
            events.push(...out.events);
          } catch (err) {
            // Not acknowledged: the worker resends, and the next batch tries again.
            failedJobs.add(job);
            this.deps.logger.error({ err, job }, 'could not apply reports');
          }
        }),
      );
    }
    let freed = 0;
    try {
      freed = await releaseBookings(this.deps.stores.workers, release);
    } catch (err) {
      // Nothing acknowledged: every report of the batch comes again and frees again.
      this.deps.logger.error({ err }, 'could not free bookings; reports stay unacknowledged');
      for (const r of release) failedJobs.add(r.job);
    }
    if (events.length > 0) await this.deps.stores.events.append(events);
    if (stops.length > 0) await this.deps.dispatch.dispatch({ assign: [], stop: stops });
    const acks = new Map<string, { identity: Buffer; ids: string[] }>();
    for (const p of batch) {
      if (failedJobs.has(p.report.job)) continue;
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
    if (freed > 0 || events.some((e) => e.kind === 'job-requeued')) this.deps.nudges.nudge('capacity-freed');
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

import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { ComponentRecord } from '../model/records.js';
import type { ComponentStore } from '../store/store-ports.js';

/** A component as `GET /api/v1/manager` describes it. */
export interface ComponentView {
  readonly name: string;
  readonly version: string;
  /** `running` when it announced itself recently, else `unresponsive` (crashed or cut off). */
  readonly state: 'running' | 'unresponsive';
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly lastSeenAt: string;
  readonly uptimeSeconds: number;
}

/** Announcements older than this many intervals mark their component unresponsive. */
export const STALE_INTERVALS = 3;

/** Views of the announced components at `now`; `intervalMs` is the announce interval. */
export function describeComponents(
  records: readonly ComponentRecord[],
  now: number,
  intervalMs: number,
): ComponentView[] {
  return records.map((r) => ({
    name: r.name,
    version: r.version,
    state: now - r.lastSeenAt <= STALE_INTERVALS * intervalMs ? 'running' : 'unresponsive',
    id: r.id,
    host: r.host,
    pid: r.pid,
    startedAt: new Date(r.startedAt).toISOString(),
    lastSeenAt: new Date(r.lastSeenAt).toISOString(),
    uptimeSeconds: Math.max(0, now - r.startedAt) / 1000,
  }));
}

/** Who is announcing: the components of one process. */
export interface PresenceOptions {
  readonly names: readonly string[];
  readonly version: string;
  readonly host: string;
  readonly pid: number;
  readonly intervalMs: number;
}

/** Lifecycle: created → running → closing → closed. */
export type PresenceState = 'created' | 'running' | 'closing' | 'closed';

/**
 * Announces this process's components every `intervalMs`, so any FrontEnd can describe the
 * whole control plane when the components run as separate processes. `close()` removes the
 * announcements; a killed process leaves them, and they turn `unresponsive`.
 */
export class ComponentPresence {
  private state: PresenceState = 'created';
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private readonly startedAt: number;

  constructor(
    private readonly store: ComponentStore,
    private readonly clock: Clock,
    private readonly options: PresenceOptions,
    private readonly logger: Logger,
  ) {
    this.startedAt = clock.now();
  }

  getState(): PresenceState {
    return this.state;
  }

  private records(now: number): ComponentRecord[] {
    const { names, version, host, pid } = this.options;
    return names.map((name) => ({
      id: `${name}@${host}:${pid}`,
      name,
      version,
      host,
      pid,
      startedAt: this.startedAt,
      lastSeenAt: now,
    }));
  }

  private async announce(): Promise<void> {
    for (const r of this.records(this.clock.now())) await this.store.announce(r);
  }

  /** Announces once (awaited, so the caller knows it is visible), then every interval. */
  async run(): Promise<void> {
    if (this.state !== 'created') throw new Error(`ComponentPresence.run in state ${this.state}`);
    this.state = 'running';
    await this.announce();
    this.timer = setInterval(() => {
      this.inflight = this.inflight
        .then(() => this.announce())
        .catch((err: unknown) => this.logger.warn({ err }, 'component announcement failed'));
    }, this.options.intervalMs);
  }

  /** Stops announcing and removes this process's announcements. */
  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    await this.inflight;
    for (const r of this.records(0)) {
      await this.store
        .remove(r.id)
        .catch((err: unknown) => this.logger.warn({ err }, 'could not remove announcement'));
    }
    this.state = 'closed';
  }
}

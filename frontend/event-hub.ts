import type { Clock } from '../core/clock/clock.js';
import { MAX_EVENTS_PAGE, type ControlLink } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import type { ClusterEvent } from '../core/model/records.js';

/** Receives new events in id order (possibly some a subscriber already has: filter by id). */
export type EventListener = (events: readonly ClusterEvent[]) => void;

/** What the hub needs. */
export interface EventHubDeps {
  readonly control: ControlLink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Pause between two polls of the leader while someone listens. @defaultValue 250 */
  readonly pollMs?: number;
}

/**
 * One FrontEnd's reader of the leader's recent events, shared by every event-stream client:
 * while at least one listens it asks the leader (`events` query, by id) every `pollMs` and hands
 * each new page to all listeners; with none it stops polling. So N dashboards cost one query per
 * period, not N. A leader change is seamless: ids keep growing, the new leader's ring is read
 * after the last id seen.
 */
export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private cursor: string | undefined;
  private loop: Promise<void> | undefined;
  private readonly closing = new AbortController();

  constructor(private readonly deps: EventHubDeps) {}

  /** Adds a listener (starting the poller if it was idle); returns its removal. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    if (!this.loop && !this.closing.signal.aborted) this.loop = this.run();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many listen now (tests, diagnostics). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** True while the poller runs. */
  get polling(): boolean {
    return this.loop !== undefined;
  }

  /** Stops polling for good. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.closing.signal;
    try {
      while (this.listeners.size > 0 && !signal.aborted) {
        await this.poll();
        try {
          await this.deps.clock.sleep(this.deps.pollMs ?? 250, signal);
        } catch {
          return;
        }
      }
    } finally {
      // Idle: the next subscriber starts afresh from the latest events.
      this.loop = undefined;
      this.cursor = undefined;
    }
  }

  /** Reads every page after the cursor (the latest page first time) and hands it out. */
  private async poll(): Promise<void> {
    for (;;) {
      let events: ClusterEvent[];
      try {
        const page = await this.deps.control.query({
          kind: 'events',
          limit: MAX_EVENTS_PAGE,
          ...(this.cursor !== undefined ? { after: this.cursor } : {}),
        });
        events = page.events;
      } catch (err) {
        // No leader for a moment: the streams stay open and catch up from the cursor.
        this.deps.logger.debug({ err }, 'event poll failed');
        return;
      }
      const last = events[events.length - 1];
      if (!last) return;
      this.cursor = last.id;
      for (const l of [...this.listeners]) l(events);
      if (events.length < MAX_EVENTS_PAGE || this.closing.signal.aborted) return;
    }
  }
}

import type { ClusterEvent, EventKind } from '../model/records.js';

/** Which events a reader wants. */
export interface EventFilter {
  readonly job?: string | undefined;
  readonly kind?: EventKind | undefined;
}

/** A page of events, oldest first. */
export interface EventPage {
  readonly events: ClusterEvent[];
  /**
   * The reader's `after` is older than the oldest event held: events between it and the page
   * may be missing (the ring dropped them, or they were made before this leader took over).
   */
  readonly gap: boolean;
  /** The id of the newest event held, whatever the filter (where a reader stands after this page). */
  readonly newest: string | null;
}

/** Events the leader keeps in memory for readers (the event stream), newest last. */
export const EVENT_RING_CAPACITY = 10_000;

/** True when `e` passes `filter`. */
export function matchesEvent(e: ClusterEvent, filter: EventFilter): boolean {
  return (
    (filter.job === undefined || e.job === filter.job) &&
    (filter.kind === undefined || e.kind === filter.kind)
  );
}

/**
 * The latest events with ids, in a fixed-size ring: what `GET /api/v1/events` streams, read by
 * id instead of from the database. Ids order events (seconds, then the control-log seq, then
 * the index within the entry; see `eventId`), so "after id X" is a string comparison and holds
 * across a change of leader, whose ring starts empty.
 */
export class EventRing {
  private readonly slots: (ClusterEvent | undefined)[];
  /** Index of the oldest event held. */
  private start = 0;
  private count = 0;

  constructor(readonly capacity = EVENT_RING_CAPACITY) {
    this.slots = new Array<ClusterEvent | undefined>(capacity);
  }

  /** Adds events in the order they were made; those without an id (never the leader's) are skipped. */
  push(events: Iterable<ClusterEvent>): void {
    for (const e of events) {
      if (e.id === undefined) continue;
      const at = (this.start + this.count) % this.capacity;
      this.slots[at] = e;
      if (this.count < this.capacity) this.count++;
      else this.start = (this.start + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.count;
  }

  /** Forgets everything (a leader stepping down). */
  clear(): void {
    this.slots.fill(undefined);
    this.start = 0;
    this.count = 0;
  }

  /**
   * With `after`: the first `limit` matching events with a greater id. Without: the latest
   * `limit` matching events. Oldest first either way.
   */
  page(q: EventFilter & { readonly after?: string | undefined; readonly limit: number }): EventPage {
    const out: ClusterEvent[] = [];
    if (q.limit <= 0) return { events: out, gap: this.gapAfter(q.after), newest: this.newest() };
    if (q.after !== undefined) {
      const after = q.after;
      for (let i = 0; i < this.count && out.length < q.limit; i++) {
        const e = this.at(i);
        if ((e.id as string) > after && matchesEvent(e, q)) out.push(e);
      }
    } else {
      for (let i = this.count - 1; i >= 0 && out.length < q.limit; i--) {
        const e = this.at(i);
        if (matchesEvent(e, q)) out.push(e);
      }
      out.reverse();
    }
    return { events: out, gap: this.gapAfter(q.after), newest: this.newest() };
  }

  private newest(): string | null {
    return this.count === 0 ? null : (this.at(this.count - 1).id as string);
  }

  private gapAfter(after: string | undefined): boolean {
    if (after === undefined || this.count === 0) return false;
    return after < (this.at(0).id as string);
  }

  private at(i: number): ClusterEvent {
    return this.slots[(this.start + i) % this.capacity] as ClusterEvent;
  }
}

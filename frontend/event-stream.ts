import type { Clock } from '../core/clock/clock.js';
import {
  MAX_EVENTS_PAGE,
  matchesEvent,
  type ControlLink,
  type EventFilter,
} from '../core/control-state/index.js';
import type { ClusterEvent, EventKind } from '../core/model/records.js';
import type { EventStore } from '../core/store/store-ports.js';
import type { EventHub } from './event-hub.js';
import type { HandlerResult, ValidatedRequest } from './operation-handler.js';
import type { StreamWriter } from './streamed-answer.js';

/** A comment line every this often keeps proxies and clients from closing a quiet stream. */
export const KEEPALIVE_MS = 15_000;

/** What the event stream needs. */
export interface EventStreamDeps {
  readonly control: ControlLink;
  readonly hub: EventHub;
  readonly clock: Clock;
  /**
   * The recorded events (the leader writes every event there): a resume from an id older than
   * the leader's ring reads the missing ones from here first. Absent: the ring only.
   */
  readonly store?: Pick<EventStore, 'listAfter'>;
  /** @defaultValue {@link KEEPALIVE_MS} */
  readonly keepaliveMs?: number;
}

/** One event in the `text/event-stream` format: its id, its kind as the event name, itself as JSON. */
export function sseFrame(e: ClusterEvent): string {
  return `id: ${e.id ?? ''}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

/**
 * `GET /api/v1/events`: Server-Sent Events from the leader's ring of recent events. First the
 * backlog (the last `backlog` matching events, or, resuming with `Last-Event-ID` / `after`, every
 * matching event after that id), then each new event as the FrontEnd's {@link EventHub} sees it,
 * and `: keepalive` every 15 s. An `after` older than the ring (after a change of leader, or more
 * than the ring holds) is answered from the recorded events up to where the ring takes over;
 * only when those have none either (pruned, or no store) does a comment say events may be
 * missing. The first read happens before the answer starts, so "no leader" is a 503 with the
 * catalogue's body.
 */
export async function eventStream(deps: EventStreamDeps, req: ValidatedRequest): Promise<HandlerResult> {
  const q = req.query;
  const filter: EventFilter = {
    job: q['job'] as string | undefined,
    kind: q['kind'] as EventKind | undefined,
  };
  const after = req.headers?.['last-event-id'] ?? (q['after'] as string | undefined);
  const backlog = (q['backlog'] as number | undefined) ?? 50;
  const first = await deps.control.query({
    kind: 'events',
    limit: after === undefined ? backlog : MAX_EVENTS_PAGE,
    ...(after !== undefined ? { after } : {}),
    ...(filter.job !== undefined ? { job: filter.job } : {}),
    ...(filter.kind !== undefined ? { eventKind: filter.kind } : {}),
  });
  return {
    status: 200,
    stream: {
      contentType: 'text/event-stream; charset=utf-8',
      run: async (out, signal) => {
        // Resuming: everything after the client's id. Else the backlog covers all up to the newest.
        let lastId = after ?? first.newest ?? undefined;
        const queue: ClusterEvent[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = deps.hub.subscribe((events) => {
          for (const e of events) if (matchesEvent(e, filter)) queue.push(e);
          wake?.();
        });
        const onAbort = (): void => wake?.();
        signal.addEventListener('abort', onAbort);
        try {
          await out.write(': rswarm events\n\n');
          // What the backlog is sent after: the client's id, or the last recorded event sent.
          let sentThrough = after;
          if (first.gap && after !== undefined) {
            // Older than the ring: the recorded events first (they are written before the ring
            // forgets them, so they reach where the ring starts); send() drops the overlap.
            const recorded = await fromStore(deps, out, after, filter, signal);
            sentThrough = recorded.lastId;
            if (recorded.count === 0)
              await out.write(
                `: events after ${after} may be missing: neither the leader nor the records hold them\n\n`,
              );
          }
          lastId = await send(out, first.events, sentThrough);
          if (after === undefined && first.newest !== null && (lastId === undefined || first.newest > lastId))
            lastId = first.newest;
          // The resumed backlog may have been longer than a page: the rest, then the live ones.
          let page = first;
          while (after !== undefined && page.events.length === MAX_EVENTS_PAGE && !signal.aborted) {
            page = await deps.control.query({
              kind: 'events',
              limit: MAX_EVENTS_PAGE,
              ...(lastId !== undefined ? { after: lastId } : {}),
              ...(filter.job !== undefined ? { job: filter.job } : {}),
              ...(filter.kind !== undefined ? { eventKind: filter.kind } : {}),
            });
            lastId = await send(out, page.events, lastId);
          }
          await Promise.all([
            keepalive(deps, out, signal),
            (async () => {
              while (!signal.aborted) {
                if (queue.length === 0)
                  await new Promise<void>((resolve) => {
                    wake = resolve;
                  });
                wake = undefined;
                lastId = await send(out, queue.splice(0), lastId);
              }
            })(),
          ]);
        } finally {
          signal.removeEventListener('abort', onAbort);
          unsubscribe();
        }
      },
    },
  };
}

/** Sends the recorded events after `after`, page by page; how many, and the last id sent. */
async function fromStore(
  deps: EventStreamDeps,
  out: StreamWriter,
  after: string,
  filter: EventFilter,
  signal: AbortSignal,
): Promise<{ count: number; lastId: string }> {
  let lastId = after;
  let count = 0;
  if (!deps.store) return { count, lastId };
  for (;;) {
    const page = await deps.store.listAfter(lastId, filter, MAX_EVENTS_PAGE);
    count += page.length;
    lastId = (await send(out, page, lastId)) ?? lastId;
    if (page.length < MAX_EVENTS_PAGE || signal.aborted) return { count, lastId };
  }
}

/** Writes the events newer than `lastId` (the hub may repeat some); returns the new last id. */
async function send(
  out: StreamWriter,
  events: readonly ClusterEvent[],
  lastId: string | undefined,
): Promise<string | undefined> {
  let text = '';
  let last = lastId;
  for (const e of events) {
    if (e.id === undefined || (last !== undefined && e.id <= last)) continue;
    text += sseFrame(e);
    last = e.id;
  }
  if (text) await out.write(text);
  return last;
}

/** `: keepalive` every period until the client goes away. */
async function keepalive(deps: EventStreamDeps, out: StreamWriter, signal: AbortSignal): Promise<void> {
  for (;;) {
    try {
      await deps.clock.sleep(deps.keepaliveMs ?? KEEPALIVE_MS, signal);
    } catch {
      return;
    }
    await out.write(': keepalive\n\n');
  }
}

/**
 * @module `GET /api/v1/events` in process, on a fake leader (an event ring behind the `events`
 * query) and a fake clock: the backlog, the job and kind filters, resuming after Last-Event-ID
 * (or `after`), live events through the FrontEnd's one shared poller, the keepalive comment, a
 * resume older than the ring, and the poller stopping once the last client left.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock/fake-clock.js';
import {
  EventRing,
  answerQuery,
  eventId,
  type ControlLink,
  type ControlQuery,
  type LeaderHandle,
  type QueryResults,
} from '../../core/control-state/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { MemoryEventStore } from '../../core/store/memory-stores.js';
import type { ClusterEvent, EventKind } from '../../core/model/records.js';
import { createApp } from '../../frontend/create-app.js';
import { EventHub } from '../../frontend/event-hub.js';
import { KEEPALIVE_MS, eventStream } from '../../frontend/event-stream.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'events-token';
const POLL_MS = 250;

/** A leader that holds only an event ring; counts the `events` queries it answers. */
class FakeLeader {
  readonly ring = new EventRing(100);
  queries = 0;
  private seq = 0;
  readonly link: ControlLink = {
    propose: () => Promise.reject(new Error('unused')),
    query: <K extends ControlQuery['kind']>(q: Extract<ControlQuery, { kind: K }>) => {
      this.queries++;
      const handle = {
        view: () => ({}),
        recentEvents: (p: Parameters<EventRing['page']>[0]) => this.ring.page(p),
      } as unknown as LeaderHandle;
      return Promise.resolve(answerQuery(handle, q) as QueryResults[K]);
    },
    close: () => Promise.resolve(),
  };

  /** Makes events as one durable cycle would, with the leader's ids. */
  emit(...events: { kind: EventKind; job?: string }[]): ClusterEvent[] {
    const made = events.map((e, i) => ({ at: 1_000_000, ...e, id: eventId(1_000_000, ++this.seq, i) }));
    this.ring.push(made);
    return made;
  }
}

async function setup(ringSize?: number, store?: MemoryEventStore) {
  const clock = new FakeClock(1_000_000);
  const leader = new FakeLeader();
  if (ringSize) Object.assign(leader, { ring: new EventRing(ringSize) });
  const hub = new EventHub({ control: leader.link, clock, logger: silentLogger(), pollMs: POLL_MS });
  const h = await listen(
    createApp({
      token: TOKEN,
      jobRules: TEST_RULES,
      logger: silentLogger(),
      clock,
      handlers: {
        streamEvents: (req) =>
          eventStream({ control: leader.link, hub, clock, ...(store ? { store } : {}) }, req),
      },
    }),
  );
  return { clock, leader, hub, h };
}

/** Lets the server's pending reads and writes run (real I/O under a fake clock). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

/** An open event stream: the text so far and the parsed events. */
async function open(h: HttpHarness, path: string, signal: AbortSignal, headers: Record<string, string> = {}) {
  const res = await fetch(h.url + path, {
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    signal,
  });
  let text = '';
  if (res.ok) {
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          text += r.value;
        }
      } catch {
        // aborted by the test
      }
    })();
  }
  const events = (): { id: string; event: string; data: ClusterEvent }[] =>
    text
      .split('\n\n')
      .filter((block) => block.startsWith('id: '))
      .map((block) => {
        const [id, event, data] = block.split('\n').map((l) => l.slice(l.indexOf(': ') + 2));
        return { id: id as string, event: event as string, data: JSON.parse(data as string) as ClusterEvent };
      });
  return { res, text: () => text, events };
}

describe('GET /api/v1/events', { timeout: 30_000 }, () => {
  test('the backlog, then live events through one shared poller, filters and keepalives', async (t) => {
    const { clock, leader, hub, h } = await setup();
    const streams = new AbortController();
    t.after(async () => {
      streams.abort();
      await hub.close();
      await h.close();
    });
    leader.emit({ kind: 'job-submitted', job: 'a' }, { kind: 'job-submitted', job: 'b' });
    leader.emit({ kind: 'job-running', job: 'a' }, { kind: 'worker-joined' });
    const all = await open(h, '/api/v1/events?backlog=3', streams.signal);
    assert.equal(all.res.status, 200);
    assert.match(all.res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const onlyA = await open(h, '/api/v1/events?job=a&kind=job-running&backlog=10', streams.signal);
    await settle();
    assert.deepEqual(
      all.events().map((e) => `${e.event} ${e.data.job ?? '-'}`),
      ['job-submitted b', 'job-running a', 'worker-joined -'],
    );
    assert.deepEqual(
      onlyA.events().map((e) => e.data.kind),
      ['job-running'],
    );
    assert.equal(all.events()[0]?.id, all.events()[0]?.data.id);
    // Live: one query per period for both clients.
    const [finished] = leader.emit({ kind: 'job-finished', job: 'a' }, { kind: 'job-running', job: 'a' });
    const before = leader.queries;
    clock.advance(POLL_MS);
    await settle();
    assert.equal(leader.queries - before, 1, 'one poll serves every client');
    assert.deepEqual(
      all
        .events()
        .slice(3)
        .map((e) => e.data.kind),
      ['job-finished', 'job-running'],
    );
    assert.equal(all.events()[3]?.id, finished?.id);
    assert.deepEqual(
      onlyA.events().map((e) => e.data.kind),
      ['job-running', 'job-running'],
    );
    // Nothing happens for 15 s: a keepalive comment.
    assert.doesNotMatch(all.text(), /: keepalive/);
    clock.advance(KEEPALIVE_MS);
    await settle();
    assert.match(all.text(), /\n: keepalive\n\n$/);
    // Both clients gone: the poller stops.
    streams.abort();
    await settle();
    clock.advance(POLL_MS);
    await settle();
    assert.equal(hub.listenerCount, 0);
    assert.equal(hub.polling, false);
  });

  test('a resume older than the ring reads the recorded events up to where the ring starts, each once', async (t) => {
    const store = new MemoryEventStore();
    const { leader, hub, h } = await setup(3, store);
    const streams = new AbortController();
    t.after(async () => {
      streams.abort();
      await hub.close();
      await h.close();
    });
    // Eight events, all recorded (the leader writes every event to the store); the ring keeps 3.
    const made: ClusterEvent[] = [];
    for (const [kind, job] of [
      ['job-submitted', 'a'],
      ['job-submitted', 'b'],
      ['job-scheduled', 'a'],
      ['job-scheduled', 'b'],
      ['job-running', 'a'],
      ['job-running', 'b'],
      ['job-finished', 'a'],
      ['job-finished', 'b'],
    ] as const)
      made.push(...leader.emit({ kind, job }));
    await store.append(made.slice(0, 7)); // the newest is not written yet: the ring has it
    const all = await open(h, '/api/v1/events', streams.signal, { 'Last-Event-ID': made[0]?.id as string });
    const onlyB = await open(h, `/api/v1/events?job=b&after=${made[0]?.id}`, streams.signal);
    await settle();
    assert.deepEqual(
      all.events().map((e) => e.id),
      made.slice(1).map((e) => e.id),
      'every event after the id, once, in order',
    );
    assert.doesNotMatch(all.text(), /may be missing/);
    assert.deepEqual(
      onlyB.events().map((e) => `${e.data.kind} ${e.data.job}`),
      ['job-submitted b', 'job-scheduled b', 'job-running b', 'job-finished b'],
    );
    // Records pruned (retention): nothing older than the ring is left, and the stream says so.
    await store.deleteBefore(Number.MAX_SAFE_INTEGER);
    const pruned = await open(h, '/api/v1/events', streams.signal, {
      'Last-Event-ID': made[0]?.id as string,
    });
    await settle();
    assert.match(
      pruned.text(),
      /: events after [0-9a-f]{24} may be missing: neither the leader nor the records/,
    );
    assert.deepEqual(
      pruned.events().map((e) => e.id),
      made.slice(5).map((e) => e.id),
    );
  });

  test('Last-Event-ID (or after) resumes after that event; an id older than the ring says so', async (t) => {
    const { clock, leader, hub, h } = await setup(4);
    const streams = new AbortController();
    t.after(async () => {
      streams.abort();
      await hub.close();
      await h.close();
    });
    const made = leader.emit(
      { kind: 'job-submitted', job: 'a' },
      { kind: 'job-scheduled', job: 'a' },
      { kind: 'job-running', job: 'a' },
    );
    const resumed = await open(h, '/api/v1/events', streams.signal, {
      'Last-Event-ID': made[0]?.id as string,
    });
    const byQuery = await open(h, `/api/v1/events?after=${made[1]?.id}`, streams.signal);
    await settle();
    assert.deepEqual(
      resumed.events().map((e) => e.data.kind),
      ['job-scheduled', 'job-running'],
    );
    assert.deepEqual(
      byQuery.events().map((e) => e.data.kind),
      ['job-running'],
    );
    leader.emit({ kind: 'job-finished', job: 'a' });
    clock.advance(POLL_MS);
    await settle();
    assert.deepEqual(
      resumed.events().map((e) => e.data.kind),
      ['job-scheduled', 'job-running', 'job-finished'],
    );
    // The ring (4 events) dropped the first: a resume from it is told events may be missing.
    leader.emit({ kind: 'job-submitted', job: 'b' });
    const late = await open(h, '/api/v1/events', streams.signal, { 'Last-Event-ID': made[0]?.id as string });
    await settle();
    assert.match(late.text(), /^: rswarm events\n\n: events after [0-9a-f]{24} may be missing/);
    assert.deepEqual(
      late.events().map((e) => e.data.kind),
      ['job-scheduled', 'job-running', 'job-finished', 'job-submitted'],
    );
    const bad = await h.request('GET', '/api/v1/events', {
      token: TOKEN,
      headers: { 'Last-Event-ID': 'zzz' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].pointer, '/header/Last-Event-ID');
    // HEAD: the head alone, the answer ends at once (no stream that never writes).
    const head = await h.request('HEAD', '/api/v1/events', { token: TOKEN });
    assert.equal(head.status, 200);
    const anonymous = await h.request('GET', '/api/v1/events');
    assert.equal(anonymous.status, 401);
  });
});

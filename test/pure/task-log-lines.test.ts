/**
 * @module Reading task logs in chunks (core/protocol/log-lines.ts) and the leader's event ring
 * (core/control-state/event-ring.ts): line splitting with the engine's timestamps, the cursor that
 * never repeats or loses a line (property: reading in chunks of any size, from any cursor, gives
 * every line once, in order), the byte cap, the REST `since`, the multiplexed Docker stream, and
 * the ring's pages, filters and gaps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventRing, eventId, matchesEvent } from '../../core/control-state/index.js';
import type { ClusterEvent } from '../../core/model/records.js';
import {
  capLines,
  chunkOf,
  dockerSince,
  formatLines,
  linesAfter,
  nanoTimestamp,
  normaliseTimestamp,
  parseSince,
  parseTimestampedLines,
  type LogLine,
} from '../../core/protocol/index.js';
import { LogDemuxer } from '../../worker/docker/container-logs.js';

const T = '2026-12-02T22:30:01.123456789Z';

test('timestamped text splits into lines; continuations keep the line before its time', () => {
  const text = `${T} hello\r\n2026-12-02T22:30:02.5Z world\ncontinued\n`;
  assert.deepEqual(parseTimestampedLines(text, 'stderr'), [
    { at: T, stream: 'stderr', text: 'hello' },
    { at: '2026-12-02T22:30:02.500000000Z', stream: 'stderr', text: 'world' },
    { at: '2026-12-02T22:30:02.500000000Z', stream: 'stderr', text: 'continued' },
  ]);
  assert.deepEqual(parseTimestampedLines('', 'stdout'), []);
});

test('timestamps: fixed nine digits, Docker since form, REST since', () => {
  const cases: [string, string | undefined][] = [
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000000000Z'],
    ['2026-01-01T00:00:00.1Z', '2026-01-01T00:00:00.100000000Z'],
    ['2026-01-01T00:00:00+01:00', undefined],
    ['nonsense', undefined],
  ];
  for (const [input, want] of cases) assert.equal(normaliseTimestamp(input), want, input);
  assert.equal(nanoTimestamp(Date.parse('2026-01-01T00:00:00.250Z')), '2026-01-01T00:00:00.250000000Z');
  assert.equal(
    dockerSince('2026-01-01T00:00:01.000000007Z'),
    `${Date.parse('2026-01-01T00:00:01Z') / 1000}.000000007`,
  );
  const since: [string, number | undefined][] = [
    ['1764714600', 1_764_714_600_000],
    ['1764714600.5', 1_764_714_600_500],
    ['2026-12-02T22:30:00Z', Date.parse('2026-12-02T22:30:00Z')],
    ['2026-12-02T23:30:00+01:00', Date.parse('2026-12-02T22:30:00Z')],
    ['2026-13-02T22:30:00Z', undefined],
    ['yesterday', undefined],
    ['', undefined],
  ];
  for (const [input, want] of since) assert.equal(parseSince(input), want, input);
});

test('the byte cap keeps whole lines, at least one, and says when it cut', () => {
  const lines: LogLine[] = ['aaa', 'bbb', 'ccc'].map((text) => ({ at: T, stream: 'stdout', text }));
  assert.deepEqual(
    capLines(lines, 8).lines.map((l) => l.text),
    ['aaa', 'bbb'],
  );
  assert.equal(capLines(lines, 8).more, true);
  assert.equal(capLines(lines, 12).more, false);
  const huge = capLines([{ at: T, stream: 'stdout', text: 'x'.repeat(100) }], 10);
  assert.equal(huge.lines[0]?.text.length, 9);
  assert.equal(formatLines(lines.slice(0, 2), true), `${T} aaa\n${T} bbb\n`);
  assert.equal(formatLines(lines.slice(0, 2), false), 'aaa\nbbb\n');
});

test('tail and since pick the first chunk; the cursor skips lines of the same instant already read', () => {
  const at = (s: number): string => nanoTimestamp(Date.parse('2026-01-01T00:00:00Z') + s * 1000);
  const all: LogLine[] = [
    { at: at(0), stream: 'stdout', text: 'a' },
    { at: at(1), stream: 'stdout', text: 'b' },
    { at: at(1), stream: 'stderr', text: 'c' },
    { at: at(2), stream: 'stdout', text: 'd' },
  ];
  const tail2 = chunkOf(all, { tail: 2, maxBytes: 1000 }, false);
  assert.deepEqual(
    tail2.lines.map((l) => l.text),
    ['c', 'd'],
  );
  const since = chunkOf(all, { sinceMs: Date.parse('2026-01-01T00:00:01Z'), maxBytes: 1000 }, true);
  assert.deepEqual(
    since.lines.map((l) => l.text),
    ['b', 'c', 'd'],
  );
  assert.equal(since.ended, true);
  const first = chunkOf(all, { maxBytes: 4 }, false);
  assert.deepEqual(
    first.lines.map((l) => l.text),
    ['a', 'b'],
  );
  assert.deepEqual(first.cursor, { at: at(1), skip: 1 });
  assert.deepEqual(
    linesAfter(all, first.cursor ?? undefined).map((l) => l.text),
    ['c', 'd'],
  );
  assert.equal(chunkOf(all, { tail: 0, maxBytes: 1000 }, false).cursor, null);
});

test('property: reading in chunks by cursor gives every line once, in order', () => {
  const lineArb = fc.record({ second: fc.integer({ min: 0, max: 5 }), text: fc.string({ maxLength: 20 }) });
  fc.assert(
    fc.property(fc.array(lineArb, { maxLength: 40 }), fc.integer({ min: 1, max: 60 }), (raw, maxBytes) => {
      const sorted = [...raw].sort((a, b) => a.second - b.second);
      const all: LogLine[] = sorted.map((r) => ({
        at: nanoTimestamp(1_700_000_000_000 + r.second * 1000),
        stream: 'stdout',
        text: r.text.replace(/\n/g, ' '),
      }));
      const read: string[] = [];
      let chunk = chunkOf(all, { maxBytes }, false);
      for (let guard = 0; guard < 1000; guard++) {
        read.push(...chunk.lines.map((l) => capLines([l], maxBytes).lines[0]?.text ?? ''));
        if (!chunk.more) break;
        chunk = chunkOf(all, { after: chunk.cursor ?? undefined, maxBytes }, false);
      }
      assert.deepEqual(
        read,
        all.map((l) => capLines([l], maxBytes).lines[0]?.text ?? ''),
      );
    }),
  );
});

test('the Docker stream demultiplexes frames split anywhere into stdout and stderr lines', () => {
  const frame = (type: number, text: string): Buffer => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = type;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };
  const bytes = Buffer.concat([frame(1, `${T} out\n`), frame(2, `${T} err\n`), frame(1, `${T} é\n`)]);
  for (const cut of [1, 5, 8, 9, 20, bytes.length - 1]) {
    const d = new LogDemuxer();
    d.push(bytes.subarray(0, cut));
    d.push(bytes.subarray(cut));
    assert.deepEqual(
      d.lines.map((l) => `${l.stream}:${l.text}`),
      ['stdout:out', 'stderr:err', 'stdout:é'],
      `cut at ${cut}`,
    );
  }
});

test('the event ring: latest page, after an id, filters, capacity and gaps', () => {
  const ring = new EventRing(5);
  const made: ClusterEvent[] = [];
  for (let i = 0; i < 7; i++)
    made.push({
      id: eventId(1_000_000 + i * 1000, i + 1, 0),
      at: 1_000_000,
      kind: i % 2 ? 'job-running' : 'job-submitted',
      job: `j${i % 3}`,
    });
  ring.push([...made, { at: 1, kind: 'worker-joined' }]); // no id: never the leader's, skipped
  assert.equal(ring.size, 5);
  const ids = (p: { events: ClusterEvent[] }): (string | undefined)[] => p.events.map((e) => e.id);
  assert.deepEqual(ids(ring.page({ limit: 2 })), [made[5]?.id, made[6]?.id]);
  assert.deepEqual(ids(ring.page({ after: made[3]?.id, limit: 10 })), [
    made[4]?.id,
    made[5]?.id,
    made[6]?.id,
  ]);
  assert.equal(ring.page({ after: made[3]?.id, limit: 10 }).gap, false);
  assert.equal(ring.page({ after: made[0]?.id, limit: 10 }).gap, true);
  assert.deepEqual(ids(ring.page({ kind: 'job-running', limit: 10 })), [made[3]?.id, made[5]?.id]);
  assert.deepEqual(ids(ring.page({ job: 'j0', limit: 10 })), [made[3]?.id, made[6]?.id]);
  assert.equal(ring.page({ limit: 0 }).newest, made[6]?.id);
  assert.equal(matchesEvent(made[0] as ClusterEvent, { job: 'j0', kind: 'job-submitted' }), true);
  assert.equal(matchesEvent(made[0] as ClusterEvent, { kind: 'job-running' }), false);
  ring.clear();
  assert.deepEqual(ring.page({ after: made[0]?.id, limit: 10 }), { events: [], gap: false, newest: null });
});

/**
 * @module The latency monitor's arithmetic and bookkeeping (issue 12, item 5): the EWMA, ping →
 * pong pairing, and the retention of a gone worker's series. Times are plain monotonic numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ewma, LatencyMonitor, RTT_EWMA_ALPHA } from '../../global-manager/latency-monitor.js';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} is not ${expected}`);

test('EWMA: the first sample is taken as it is, then α = 0.1', () => {
  assert.equal(RTT_EWMA_ALPHA, 0.1);
  const cases: { samples: number[]; expected: number }[] = [
    { samples: [7], expected: 7 },
    { samples: [10, 20], expected: 11 },
    { samples: [10, 20, 20], expected: 11.9 },
    { samples: [100, 0], expected: 90 },
    { samples: [5, 5, 5, 5], expected: 5 },
    { samples: [0, 1000], expected: 100 },
  ];
  for (const c of cases) {
    let avg: number | undefined;
    for (const s of c.samples) avg = ewma(avg, s);
    close(avg as number, c.expected, JSON.stringify(c.samples));
    // The monitor's record() applies the same rule.
    const m = new LatencyMonitor();
    for (const s of c.samples) m.record('w', s);
    const got = m.get('w');
    close(got?.ewmaMs ?? NaN, c.expected, `monitor ${JSON.stringify(c.samples)}`);
    assert.equal(got?.lastMs, c.samples.at(-1));
    assert.equal(got?.samples, c.samples.length);
  }
});

test('ping → pong: a sample is the monotonic time between them, for the outstanding id only', () => {
  type Step =
    | { op: 'ping'; worker: string; at: number; sent: boolean }
    | { op: 'pong'; worker: string; idOf: string; at: number; rtt: number | undefined };
  const cases: { name: string; steps: Step[] }[] = [
    {
      name: 'one round trip',
      steps: [
        { op: 'ping', worker: 'a', at: 100, sent: true },
        { op: 'pong', worker: 'a', idOf: 'a', at: 103, rtt: 3 },
      ],
    },
    {
      name: 'one outstanding ping per worker until the ping timeout (1000)',
      steps: [
        { op: 'ping', worker: 'a', at: 0, sent: true },
        { op: 'ping', worker: 'a', at: 500, sent: false },
        { op: 'ping', worker: 'b', at: 500, sent: true },
        { op: 'ping', worker: 'a', at: 1000, sent: true },
        { op: 'pong', worker: 'a', idOf: 'a', at: 1004, rtt: 4 },
      ],
    },
    {
      name: "a pong naming another worker's ping is no sample",
      steps: [
        { op: 'ping', worker: 'a', at: 0, sent: true },
        { op: 'ping', worker: 'b', at: 0, sent: true },
        { op: 'pong', worker: 'b', idOf: 'a', at: 2, rtt: undefined },
        { op: 'pong', worker: 'b', idOf: 'b', at: 5, rtt: 5 },
      ],
    },
    {
      name: 'a repeated pong counts once',
      steps: [
        { op: 'ping', worker: 'a', at: 0, sent: true },
        { op: 'pong', worker: 'a', idOf: 'a', at: 1, rtt: 1 },
        { op: 'pong', worker: 'a', idOf: 'a', at: 2, rtt: undefined },
      ],
    },
  ];
  for (const c of cases) {
    const m = new LatencyMonitor(600_000, 1000);
    const ids = new Map<string, string>();
    for (const s of c.steps) {
      if (s.op === 'ping') {
        const id = m.startPing(s.worker, s.at);
        assert.equal(id !== undefined, s.sent, `${c.name}: ping ${s.worker}@${s.at}`);
        if (id !== undefined) ids.set(s.worker, id);
      } else {
        const id = ids.get(s.idOf) ?? 'none';
        assert.equal(m.pong(s.worker, id, s.at), s.rtt, `${c.name}: pong ${s.worker}@${s.at}`);
      }
    }
  }
});

test('a gone worker keeps its series for the retention, then it is dropped; a sample revives it', () => {
  const RETENTION = 600_000;
  const cases: {
    name: string;
    goneAt: number | undefined;
    sampleAgainAt?: number;
    at: number;
    kept: boolean;
    gone: boolean;
  }[] = [
    { name: 'live, long after', goneAt: undefined, at: 10 * RETENTION, kept: true, gone: false },
    {
      name: 'gone, just before the retention',
      goneAt: 1000,
      at: 1000 + RETENTION - 1,
      kept: true,
      gone: true,
    },
    { name: 'gone, at the retention', goneAt: 1000, at: 1000 + RETENTION, kept: false, gone: true },
    {
      name: 'gone, then back',
      goneAt: 1000,
      sampleAgainAt: 2000,
      at: 2000 + RETENTION,
      kept: true,
      gone: false,
    },
  ];
  for (const c of cases) {
    const m = new LatencyMonitor(RETENTION);
    m.record('w1', 2);
    m.record('w2', 3);
    if (c.goneAt !== undefined) m.gone('w1', c.goneAt);
    if (c.sampleAgainAt !== undefined) m.record('w1', 4);
    const rows = m.list(c.at);
    const w1 = rows.find((r) => r.workerId === 'w1');
    assert.equal(w1 !== undefined, c.kept, `${c.name}: kept`);
    if (w1) assert.equal(w1.gone, c.gone, `${c.name}: gone`);
    assert.ok(
      rows.some((r) => r.workerId === 'w2'),
      `${c.name}: the other worker is untouched`,
    );
  }
});

test('going twice does not restart the retention; an unmeasured worker has no series', () => {
  const m = new LatencyMonitor(100);
  m.gone('never-measured', 0);
  assert.deepEqual(m.list(0), []);
  m.record('w', 1);
  m.gone('w', 0);
  m.gone('w', 90);
  assert.deepEqual(m.prune(100), ['w']);
  assert.equal(m.get('w'), undefined);
});

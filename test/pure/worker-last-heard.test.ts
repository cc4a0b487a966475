/**
 * @module A worker's `lastHeartbeatAt` in the API (user-trial bug: it stayed at the join): the
 * merge of the record's time with the GlobalManager's `lastSeenAt`, the latency monitor keeping
 * that time (also once the worker is gone), the protocol field (optional, validated), and the
 * bounded cache a FrontEnd in another process reads the GlobalManager's rows through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type WorkerRtt } from '../../core/protocol/index.js';
import { cachedWorkerRows } from '../../frontend/cached-worker-rows.js';
import { lastHeardAt } from '../../frontend/views.js';
import { LatencyMonitor } from '../../global-manager/latency-monitor.js';

test('lastHeardAt: the later of the record and the GlobalManager, whichever is known', () => {
  const cases: { record: number | null; seen: number | undefined; expected: number | null; what: string }[] =
    [
      { record: 1_000, seen: undefined, expected: 1_000, what: 'no row: the join' },
      { record: 1_000, seen: 5_000, expected: 5_000, what: 'heard since the join' },
      { record: 9_000, seen: 5_000, expected: 9_000, what: 'rejoined after the last message' },
      { record: null, seen: 5_000, expected: 5_000, what: 'no record time' },
      { record: null, seen: undefined, expected: null, what: 'nothing known' },
      { record: 5_000, seen: 5_000, expected: 5_000, what: 'the same instant' },
    ];
  for (const c of cases) assert.equal(lastHeardAt(c.record, c.seen), c.expected, c.what);
});

test('lastHeardAt never goes before either input and is one of them', () => {
  fc.assert(
    fc.property(fc.nat(), fc.option(fc.nat(), { nil: undefined }), (record, seen) => {
      const out = lastHeardAt(record, seen) as number;
      assert.ok(out >= record && (seen === undefined || out >= seen));
      assert.ok(out === record || out === seen);
    }),
  );
});

test('the latency monitor keeps the last message time, also once the worker is gone', () => {
  const m = new LatencyMonitor(1_000, 500);
  m.seen('w1', 100); // no series yet: nothing to carry it
  assert.equal(m.get('w1'), undefined);
  const id = m.startPing('w1', 0) as string;
  m.pong('w1', id, 3);
  m.seen('w1', 1_000);
  assert.equal(m.get('w1')?.lastSeenAt, 1_000);
  m.seen('w1', 2_000);
  m.seen('w1', 1_500); // late delivery never moves it back
  assert.equal(m.get('w1')?.lastSeenAt, 2_000);
  m.gone('w1', 10);
  assert.deepEqual(m.list(20)[0], {
    workerId: 'w1',
    lastMs: 3,
    ewmaMs: 3,
    samples: 1,
    gone: true,
    lastSeenAt: 2_000,
  });
});

test('latencyReport: lastSeenAt is optional (older GlobalManagers) and validated when present', () => {
  const row = { workerId: 'w1', lastMs: 1, ewmaMs: 1, samples: 1, gone: false };
  const report = (workers: unknown[]) =>
    Buffer.from(JSON.stringify({ type: 'latencyReport', v: PROTOCOL_VERSION, id: 'q', workers }));
  assert.ok(decodeMessage(report([row])).ok, 'without lastSeenAt');
  const withSeen = decodeMessage(
    encodeMessage({
      type: 'latencyReport',
      v: PROTOCOL_VERSION,
      id: 'q',
      workers: [{ ...row, lastSeenAt: 1_700_000_000_000 }],
    }),
  );
  assert.ok(withSeen.ok && withSeen.message.type === 'latencyReport');
  assert.equal(withSeen.message.workers[0]?.lastSeenAt, 1_700_000_000_000);
  for (const bad of [-1, 1.5, 'yesterday', null])
    assert.equal(decodeMessage(report([{ ...row, lastSeenAt: bad }])).ok, false, `lastSeenAt ${String(bad)}`);
});

const ROWS: WorkerRtt[] = [{ workerId: 'w1', lastMs: 1, ewmaMs: 1, samples: 1, gone: false, lastSeenAt: 5 }];

test('cachedWorkerRows: one query per cache period, shared by concurrent callers', async () => {
  let now = 0;
  let asked = 0;
  const rows = cachedWorkerRows(
    () => {
      asked++;
      return Promise.resolve(ROWS);
    },
    () => now,
    1_000,
    50,
  );
  const [a, b] = await Promise.all([rows(), rows()]);
  assert.deepEqual([a, b, asked], [ROWS, ROWS, 1]);
  now = 999;
  await rows();
  assert.equal(asked, 1, 'still cached');
  now = 1_000;
  await rows();
  assert.equal(asked, 2, 'asked again once the period passed');
});

test('cachedWorkerRows: a failed or unanswered query gives no rows, never an error', async () => {
  let now = 0;
  const failing = cachedWorkerRows(
    () => Promise.reject(new Error('no GlobalManager')),
    () => now,
    1_000,
    50,
  );
  assert.deepEqual(await failing(), []);
  const started = Date.now();
  const silent = cachedWorkerRows(
    () => new Promise<WorkerRtt[]>(() => undefined),
    () => now,
    1_000,
    50,
  );
  assert.deepEqual(await silent(), []);
  assert.ok(Date.now() - started < 1_000, 'gave up at the timeout');
  let asked = 0;
  const flaky = cachedWorkerRows(
    () => (++asked === 1 ? Promise.reject(new Error('down')) : Promise.resolve(ROWS)),
    () => now,
    1_000,
    50,
  );
  assert.deepEqual(await flaky(), []);
  assert.deepEqual(await flaky(), [], 'the failure is cached too: no wait on every listing');
  now = 2_000;
  assert.deepEqual(await flaky(), ROWS);
});

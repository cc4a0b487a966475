/**
 * @module The dashboard's pure helpers (frontend/ui, browser ES modules without DOM use): the
 * event-stream parser, whatever the chunking, and cpusets, bookings per core, durations, colours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
// @ts-expect-error -- browser modules in JavaScript, type-checked by tsconfig.ui.json
import { SseParser } from '../../frontend/ui/event-stream.js';
// @ts-expect-error -- browser modules in JavaScript, type-checked by tsconfig.ui.json
import * as format from '../../frontend/ui/format.js';

const STREAM =
  ': keepalive\n\n' +
  'id: 0001\nevent: job-submitted\ndata: {"kind":"job-submitted","job":"a"}\n\n' +
  'id: 0002\r\nevent: job-running\r\ndata: {"kind":"job-running",\r\ndata: "job":"a"}\r\n\r\n' +
  'data:no space\n\n' +
  'event: ignored-without-data\n\n';

const EXPECTED = [
  { id: '0001', event: 'job-submitted', data: '{"kind":"job-submitted","job":"a"}' },
  { id: '0002', event: 'job-running', data: '{"kind":"job-running",\n"job":"a"}' },
  // The last id stays until another one is sent (the reconnect's Last-Event-ID).
  { id: '0002', event: 'message', data: 'no space' },
];

test('the parser reads ids, kinds and multi-line data, skips comments and empty events', () => {
  assert.deepEqual(new SseParser().push(STREAM), EXPECTED);
});

test('the parser gives the same events however the stream is cut into chunks', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 12 }), (cuts) => {
      const points = [...new Set([0, ...cuts, STREAM.length])].sort((a, b) => a - b);
      const parser = new SseParser();
      const out = [];
      for (let i = 1; i < points.length; i++)
        out.push(...parser.push(STREAM.slice(points[i - 1], points[i])));
      assert.deepEqual(out, EXPECTED);
    }),
  );
});

test('cpusets expand to core ids; unreadable parts are skipped', () => {
  for (const [cpuset, cores] of [
    ['0-3', [0, 1, 2, 3]],
    ['0,2,5-6', [0, 2, 5, 6]],
    ['7', [7]],
    ['', []],
    [null, []],
    ['x,1', [1]],
  ] as const)
    assert.deepEqual(format.parseCpuset(cpuset), cores, String(cpuset));
});

test('bookings per core come from live tasks with a worker and a cpuset', () => {
  const byCore = format.bookingsByCore([
    {
      name: 'j1',
      tasks: [
        { name: 't1', state: 'running', worker: 'w1', cpuset: '0-1' },
        { name: 't2', state: 'finished', worker: 'w1', cpuset: '2' },
        { name: 't3', state: 'pending', worker: null, cpuset: null },
      ],
    },
    { name: 'j2', tasks: [{ name: 't1', state: 'starting', worker: 'w2', cpuset: '3' }] },
  ]);
  assert.deepEqual(Object.fromEntries(byCore), {
    'w1/0': { job: 'j1', task: 't1' },
    'w1/1': { job: 'j1', task: 't1' },
    'w2/3': { job: 'j2', task: 't1' },
  });
});

test('durations, sizes and waits read as people write them', () => {
  assert.equal(format.formatDuration(850), '850 ms');
  assert.equal(format.formatDuration(12_300), '12.3 s');
  assert.equal(format.formatDuration(245_000), '4 min 05 s');
  assert.equal(format.formatDuration(7_620_000), '2 h 07 min');
  assert.equal(format.formatDuration(-1), '—');
  assert.equal(format.formatBytes(512), '512 B');
  assert.equal(format.formatBytes(64 * 1024 ** 2), '64 MiB');
  assert.equal(format.formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
  const submittedAt = '2026-01-01T00:00:00.000Z';
  const t0 = Date.parse(submittedAt);
  assert.equal(format.waitOf({ state: 'waiting', submittedAt }, t0 + 5000), 5000);
  assert.equal(
    format.waitOf({ state: 'running', submittedAt, scheduledAt: '2026-01-01T00:00:02.000Z' }, t0 + 9000),
    2000,
  );
  assert.equal(format.waitOf({ state: 'failed', submittedAt, scheduledAt: null }, t0), null);
});

test('a job keeps its colour, and similar names get different ones', () => {
  assert.equal(format.jobColour('job-1'), format.jobColour('job-1'));
  const colours = new Set(Array.from({ length: 20 }, (_, i) => format.jobColour(`job-${i}`)));
  assert.ok(colours.size >= 18, `${colours.size} colours for 20 jobs`);
});

test('live jobs are listed first, then ended ones newest first', () => {
  const at = (s: number) => new Date(s * 1000).toISOString();
  const sorted = format.sortJobs([
    { name: 'old-done', state: 'finished', submittedAt: at(1) },
    { name: 'run', state: 'running', submittedAt: at(2) },
    { name: 'new-done', state: 'failed', submittedAt: at(3) },
    { name: 'wait', state: 'waiting', submittedAt: at(4) },
  ]);
  assert.deepEqual(
    sorted.map((j: { name: string }) => j.name),
    ['wait', 'run', 'new-done', 'old-done'],
  );
});

/**
 * @module `rswarm export original` documents (issue 14, item 6): the per-job shape the original
 * notebooks read (reference §2.3, §6.3): field names, epoch seconds, the original statuses, and
 * the notebook's own derived times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inSession, originalResultDocument } from '../../cli/original-result-document.js';
import type { components } from '../../openapi/schema.js';

type JobView = components['schemas']['JobView'];

const T0 = Date.UTC(2019, 10, 24, 21, 45, 0, 180);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function view(
  state: JobView['state'],
  times: { submitted: number; scheduled: number | null; started: number | null; finished: number | null },
): JobView {
  return {
    name: 'job1574631900180-1574631900',
    state,
    priority: 0,
    submittedAt: iso(times.submitted),
    scheduledAt: iso(times.scheduled),
    startedAt: iso(times.started),
    finishedAt: iso(times.finished),
    unplacedReason: null,
    failureReason: null,
    tasks: [
      {
        name: 'job1574631900180-1574631900_task1',
        state: state === 'waiting' ? 'pending' : state === 'running' ? 'running' : 'finished',
        image: 'aduermael/sleeper',
        cores: 2,
        memoryBytes: 50 * 1024 ** 2,
        worker: state === 'waiting' ? null : 'w1',
        cpuset: state === 'waiting' ? null : '3,4',
        exitCode: null,
        reason: null,
        attempts: 1,
        env: {},
      },
    ],
  };
}

test('the document has exactly the original fields, in seconds, with the original statuses', () => {
  const d = originalResultDocument(
    view('finished', { submitted: T0, scheduled: T0 + 1500, started: T0 + 1750, finished: T0 + 16_250 }),
  );
  assert.deepEqual(d, {
    job_name: 'job1574631900180-1574631900',
    job_info: {
      tasks: {
        'job1574631900180-1574631900_task1': {
          container_name: 'job1574631900180-1574631900_task1',
          node: 'w1',
          image: 'aduermael/sleeper',
          req_cores: 2,
          cpuset_cpus: '3,4',
          mem_limit: '50m',
          status: 'Down',
        },
      },
    },
    status: 'Down',
    submit_time: 1574631900.18,
    start_time: 1574631901.68,
    end_time: 1574631916.43,
    waiting_time: 1.5,
    execution_time: 14.75,
    total_time: 16.25,
    state: 'finished',
  });
});

test('statuses and unset times follow the original: Ready with 0, Deployed with start_time, Down with end_time', () => {
  const cases: [
    JobView['state'],
    { submitted: number; scheduled: number | null; started: number | null; finished: number | null },
    { status: string; start: boolean; end: boolean; task: string; node: string },
  ][] = [
    [
      'waiting',
      { submitted: T0, scheduled: null, started: null, finished: null },
      { status: 'Ready', start: false, end: false, task: 'Ready', node: '' },
    ],
    [
      'running',
      { submitted: T0, scheduled: T0 + 5, started: T0 + 9, finished: null },
      { status: 'Deployed', start: true, end: false, task: 'Deployed', node: 'w1' },
    ],
    [
      'cancelled',
      { submitted: T0, scheduled: null, started: null, finished: T0 + 40 },
      { status: 'Down', start: false, end: true, task: 'Down', node: 'w1' },
    ],
    [
      'failed',
      { submitted: T0, scheduled: T0 + 5, started: T0 + 9, finished: T0 + 90 },
      { status: 'Down', start: true, end: true, task: 'Down', node: 'w1' },
    ],
  ];
  for (const [state, times, want] of cases) {
    const d = originalResultDocument(view(state, times));
    assert.equal(d.status, want.status, state);
    assert.equal(d.start_time > 0, want.start, `${state} start_time`);
    assert.equal(d.end_time > 0, want.end, `${state} end_time`);
    const task = Object.values(d.job_info.tasks)[0];
    assert.equal(task?.status, want.task);
    assert.equal(task?.node, want.node);
    if (!want.start) assert.equal(d.waiting_time, null);
    if (!want.end) assert.equal(d.total_time, null);
    if (!want.start || !want.end) assert.equal(d.execution_time, null);
  }
});

test('a job that ran without a recorded placement counts from its start', () => {
  const d = originalResultDocument(
    view('running', { submitted: T0, scheduled: null, started: T0 + 2000, finished: null }),
  );
  assert.equal(d.start_time, (T0 + 2000) / 1000);
});

test('property: the derived times are the notebook’s own formulas on the document’s times', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 40 }),
      fc.integer({ min: 0, max: 10 ** 7 }),
      fc.integer({ min: 0, max: 10 ** 7 }),
      (submitted, wait, run) => {
        const d = originalResultDocument(
          view('finished', {
            submitted,
            scheduled: submitted + wait,
            started: submitted + wait,
            finished: submitted + wait + run,
          }),
        );
        const close = (a: number | null, b: number) =>
          assert.ok(a !== null && Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
        close(d.waiting_time, d.start_time - d.submit_time);
        close(d.execution_time, d.end_time - d.start_time);
        close(d.total_time, d.end_time - d.submit_time);
        assert.ok(d.submit_time <= d.start_time && d.start_time <= d.end_time);
      },
    ),
  );
});

test('cpusets are written as the original wrote them, a list, never a range', () => {
  const v = view('running', { submitted: T0, scheduled: T0 + 5, started: T0 + 9, finished: null });
  const d = originalResultDocument({ ...v, tasks: v.tasks.map((t) => ({ ...t, cpuset: '0-2,5' })) });
  assert.equal(Object.values(d.job_info.tasks)[0]?.cpuset_cpus, '0,1,2,5');
});

test('sessions as the notebook splits names: job<ms>-<session>', () => {
  assert.equal(inSession('job1574631900180-1574631900', '1574631900'), true);
  assert.equal(inSession('job1574631900180-1574631909', '1574631900'), false);
  assert.equal(inSession('big', '1574631900'), false);
});

test("a native task's container_name is its container's name (<job>_<task>), not the task's", () => {
  const v = view('finished', { submitted: T0, scheduled: T0 + 1, started: T0 + 2, finished: T0 + 3 });
  const native: JobView = {
    ...v,
    name: 'hello',
    tasks: v.tasks.map((t) => ({ ...t, name: 'web', container: 'hello_web' })),
  };
  const d = originalResultDocument(native);
  assert.equal(d.job_info.tasks['web']?.container_name, 'hello_web');
});

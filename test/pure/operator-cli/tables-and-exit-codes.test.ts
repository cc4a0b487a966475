/**
 * @module The operator CLI's output and exit codes: table rendering (alignment, empty cells,
 * one line per row), the job/node pages, the change lines of a polled watch, cpuset parsing, and
 * the mapping from failures to the documented exit codes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ApiError,
  CliError,
  EXIT,
  EXIT_CODES_HELP,
  errorLine,
  exitCodeFor,
  exitCodeForStatus,
} from '../../../cli/operator/exit-codes.js';
import { jobChanges, jobStatusText, jobTable, type JobView } from '../../../cli/operator/job-views.js';
import { watchDone, watchExitCode } from '../../../cli/operator/job-watch.js';
import { pickTasks, taskRouteName } from '../../../cli/operator/job-logs.js';
import { coreOwners, nodeStatusText, parseCpuset } from '../../../cli/operator/node-commands.js';
import { formatAge, formatBytes, renderFields, renderTable } from '../../../cli/operator/table.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

const job = (over: Partial<JobView> = {}): JobView => ({
  name: 'web',
  state: 'running',
  priority: 0,
  submittedAt: '2026-01-01T11:59:00Z',
  scheduledAt: null,
  startedAt: null,
  finishedAt: null,
  unplacedReason: null,
  failureReason: null,
  tasks: [
    {
      name: 'a',
      state: 'running',
      cores: 2,
      memoryBytes: 64 * 1024 ** 2,
      worker: 'w1',
      cpuset: '0-1',
      attempts: 1,
    },
    { name: 'b', state: 'pending', cores: 1, memoryBytes: 1536 * 1024 ** 2, worker: null, cpuset: null },
  ],
  ...over,
});

describe('renderTable', () => {
  test('aligns columns under upper-case headers, empty cells as -, no trailing blanks', () => {
    assert.equal(
      renderTable(
        ['name', 'state', 'reason'],
        [
          ['a', 'running', undefined],
          ['longer-name', '', 'x'],
        ],
      ),
      ['NAME          STATE     REASON', 'a             running   -', 'longer-name   -         x'].join('\n'),
    );
  });

  test('property: every row is one line and every column starts at the same offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 3, maxLength: 3 }), { maxLength: 6 }),
        (rows) => {
          const lines = renderTable(['c1', 'c2', 'c3'], rows).split('\n');
          if (lines.length !== rows.length + 1) return false;
          const start = (lines[0] as string).indexOf('C2');
          // Cells are never blank (-) and never hold newlines, so column 2 starts at one offset.
          return lines.every((l) => l[start - 1] === ' ' && l[start] !== ' ' && !l.includes('\n'));
        },
      ),
    );
  });

  test('renderFields pads keys; formatters', () => {
    assert.equal(
      renderFields([
        ['Name', 'x'],
        ['Unplaced', null],
      ]),
      'Name:      x\nUnplaced:  -',
    );
    assert.equal(formatBytes(64 * 1024 ** 2), '64Mi');
    assert.equal(formatBytes(1536 * 1024 ** 2), '1.5Gi');
    assert.equal(formatBytes(900), '900B');
    assert.equal(formatAge('2026-01-01T11:59:00Z', NOW), '60s');
    assert.equal(formatAge('2026-01-01T09:00:00Z', NOW), '3h');
    assert.equal(formatAge(null, NOW), '-');
  });
});

describe('job pages', () => {
  test('job ls shows running/total tasks and the reason', () => {
    const t = jobTable([job({ unplacedReason: 'NO_CAPACITY: 2 workers, none with 3 free cores' })], NOW);
    assert.match(t, /^NAME\s+STATE\s+TASKS\s+AGE\s+REASON$/m);
    assert.match(t, /^web\s+running\s+1\/2\s+60s\s+NO_CAPACITY: 2 workers/m);
  });

  test('job status lists tasks with worker, cpuset, cores, memory, reasons and events', () => {
    const text = jobStatusText(
      job({ unplacedReason: 'no worker with 1 free core' }),
      [{ at: NOW, kind: 'job-scheduled', task: 'a', worker: 'w1', detail: 'cpuset 0-1' }],
      NOW,
    );
    assert.match(text, /^Unplaced:\s+no worker with 1 free core$/m);
    assert.match(text, /^\s+a\s+running\s+w1\s+0-1\s+2\s+64Mi\s+1/m);
    assert.match(text, /^\s+b\s+pending\s+-\s+-\s+1\s+1\.5Gi/m);
    assert.match(text, /^\s+12:00:00\s+job-scheduled\s+a\s+w1\s+cpuset 0-1$/m);
    assert.match(jobStatusText(job(), undefined, NOW), /events route is not available/);
  });

  test('a polled watch prints what changed, only that', () => {
    const before = job({ state: 'scheduled' });
    const after = job({
      tasks: [before.tasks[0]!, { ...before.tasks[1]!, state: 'running', worker: 'w2', cpuset: '3' }],
    });
    assert.deepEqual(jobChanges(before, after, NOW), [
      '12:00:00  job web running',
      '12:00:00  task b running on w2 cpuset 3',
    ]);
    assert.deepEqual(jobChanges(after, after, NOW), []);
  });

  test('watch ends on running (or only on terminal states with --until-done); failed/cancelled exit 4', () => {
    assert.equal(watchDone(job({ state: 'running' }), false), true);
    assert.equal(watchDone(job({ state: 'running' }), true), false);
    assert.equal(watchDone(job({ state: 'waiting' }), false), false);
    for (const s of ['finished', 'failed', 'cancelled'] as const)
      assert.equal(watchDone(job({ state: s }), true), true);
    assert.equal(watchExitCode(job({ state: 'failed' })), EXIT.jobFailed);
    assert.equal(watchExitCode(job({ state: 'cancelled' })), EXIT.jobFailed);
    assert.equal(watchExitCode(job({ state: 'finished' })), EXIT.ok);
  });

  test('logs: the task route name and which tasks to print', () => {
    assert.equal(taskRouteName('web', 'a'), 'web_a');
    assert.equal(taskRouteName('job1', 'job1_task1'), 'job1_task1');
    assert.deepEqual(pickTasks(job(), undefined), ['a', 'b']);
    assert.deepEqual(pickTasks(job(), 'b'), ['b']);
    assert.deepEqual(pickTasks(job(), 'web_a'), ['a']);
    assert.throws(
      () => pickTasks(job(), 'zz'),
      (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && /tasks: a, b/.test(e.message),
    );
  });
});

describe('node pages', () => {
  test('parseCpuset', () => {
    assert.deepEqual(parseCpuset('0-2,5'), [0, 1, 2, 5]);
    assert.deepEqual(parseCpuset(null), []);
    assert.deepEqual(parseCpuset('x,3'), [3]);
  });

  test('node status: which job holds each core', () => {
    const w = {
      id: 'w1',
      state: 'ready' as const,
      totalCores: 4,
      coreIds: [0, 1, 2, 3],
      freeCores: [2, 3],
      totalMemoryBytes: 1024 ** 3,
      freeMemoryBytes: 512 * 1024 ** 2,
      tasks: ['web/a'],
    };
    assert.deepEqual(
      [...coreOwners(w, [job()]).entries()],
      [
        [0, 'web/a'],
        [1, 'web/a'],
      ],
    );
    const text = nodeStatusText(w, [job()], NOW);
    assert.match(text, /^\s+0\s+web\/a$/m);
    assert.match(text, /^\s+3\s+free$/m);
    assert.match(text, /^Cores:\s+4 \(2 free\)$/m);
  });
});

describe('exit codes', () => {
  test('HTTP statuses: 401 and 429 are 3 (cannot talk to the server), other errors 1', () => {
    const table: [number, number][] = [
      [200, 0],
      [400, 1],
      [401, 3],
      [404, 1],
      [409, 1],
      [429, 3],
      [500, 1],
      [503, 1],
    ];
    for (const [status, code] of table) assert.equal(exitCodeForStatus(status), code, String(status));
  });

  test("an API error carries the API's code and message, and each field issue", () => {
    const e = new ApiError(
      400,
      {
        code: 'VALIDATION_FAILED',
        status: 400,
        message: 'bad job',
        details: [{ code: 'CORES_INVALID', pointer: '/tasks/0/cores', message: 'cores must be ≥ 1' }],
      },
      '',
    );
    assert.equal(exitCodeFor(e), EXIT.api);
    assert.equal(
      errorLine(e),
      'error: VALIDATION_FAILED (HTTP 400): bad job\n  CORES_INVALID /tasks/0/cores: cores must be ≥ 1',
    );
    assert.match(
      errorLine(new ApiError(502, undefined, '<html>bad gateway</html>')),
      /^error: HTTP 502: <html>bad gateway/,
    );
  });

  test('connection failures are 3, usage errors 2, anything unexpected 1', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
    });
    assert.equal(exitCodeFor(refused), EXIT.unreachable);
    assert.match(errorLine(refused), /cannot reach the server: ECONNREFUSED/);
    assert.equal(exitCodeFor(new CliError(EXIT.usage, 'x')), 2);
    assert.equal(exitCodeFor(new Error('bug')), 1);
  });

  test('the help epilogue documents every code of the table', () => {
    for (const code of Object.values(EXIT)) assert.match(EXIT_CODES_HELP, new RegExp(`^  ${code}  `, 'm'));
  });
});

/**
 * @module The pure decisions behind task operations: task-name lookup, migration targets (never
 * the source, honouring cores and memory, with a reason when nothing fits), the moved job record
 * (same attempt, new container name) and booking resizes (table-driven refusals, and a property:
 * an accepted resize never books a core twice nor more memory than the worker has).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  assignmentOf,
  chooseTarget,
  lookupTask,
  moveTask,
  resizeBooking,
  resizeTask,
} from '../../core/control/index.js';
import { newJobRecord } from '../../core/control/job-transitions.js';
import type { JobSpec, TaskSpec } from '../../core/job/job-model.js';
import type { Booking, JobRecord, WorkerRecord } from '../../core/model/records.js';

const MiB = 1024 ** 2;

function spec(
  name: string,
  tasks: { name: string; cores: number; mem?: number }[],
  format: JobSpec['format'] = 'native',
): JobSpec {
  return {
    name,
    format,
    priority: 0,
    network: { name: `net_${name}`, driver: 'bridge', subnet: undefined },
    restartPolicy: { mode: 'never', maxAttempts: 0, requeueOnWorkerLoss: true },
    tasks: tasks.map((t): TaskSpec => ({
      name: t.name,
      image: 'busybox',
      command: undefined,
      cores: t.cores,
      memoryBytes: t.mem ?? 64 * MiB,
      pin: undefined,
      ports: [],
      volumes: [],
      env: {},
      runSeconds: undefined,
      deadline: undefined,
    })),
  };
}

/** A job whose tasks run on `workerId` with the given cores. */
function runningJob(s: JobSpec, workerId: string, cores: number[][]): JobRecord {
  const j = newJobRecord(s, 0);
  return {
    ...j,
    state: 'running',
    tasks: j.tasks.map((t, i) => ({ ...t, state: 'running', workerId, coreIds: cores[i] ?? [] })),
  };
}

function worker(id: string, coreIds: number[], bookings: Booking[] = [], mem = 1024 * MiB): WorkerRecord {
  return {
    id,
    state: 'ready',
    runtime: 'simulated',
    coreIds,
    totalMemoryBytes: mem,
    bookings,
    joinedAt: 0,
    lastHeartbeatAt: 0,
    version: 1,
  };
}

const booking = (job: string, task: string, coreIds: number[], memoryBytes = 64 * MiB): Booking => ({
  job,
  task,
  attempt: 0,
  coreIds,
  memoryBytes,
  bookedAt: 0,
});

describe('lookupTask', () => {
  const a = runningJob(
    spec('ja', [
      { name: 't1', cores: 1 },
      { name: 'only', cores: 1 },
    ]),
    'w1',
    [[0], [1]],
  );
  const b = runningJob(spec('jb', [{ name: 't1', cores: 1 }]), 'w1', [[2]]);
  const o = runningJob(spec('orig', [{ name: 'ctr-7', cores: 1 }], 'original'), 'w1', [[3]]);
  const cases: [string, string][] = [
    ['ja_t1', 'found ja/t1'],
    ['jb_t1', 'found jb/t1'],
    ['only', 'found ja/only'],
    ['ctr-7', 'found orig/ctr-7'],
    ['t1', 'ambiguous ja_t1,jb_t1'],
    ['nope', 'none'],
  ];
  for (const [name, want] of cases) {
    test(`"${name}" → ${want}`, () => {
      const r = lookupTask([a, b, o], name);
      const got =
        r.kind === 'found'
          ? `found ${r.at.job.name}/${r.at.task.name}`
          : r.kind === 'ambiguous'
            ? `ambiguous ${[...r.candidates].sort().join(',')}`
            : 'none';
      assert.equal(got, want);
    });
  }
});

describe('chooseTarget', () => {
  const j = runningJob(spec('jm', [{ name: 't1', cores: 2, mem: 100 * MiB }]), 'src', [[0, 1]]);
  const at = { job: j, task: j.tasks[0] as JobRecord['tasks'][number] };
  const src = worker('src', [0, 1, 2, 3], [booking('jm', 't1', [0, 1], 100 * MiB)]);

  test('never picks the source, even when it has room', () => {
    const r = chooseTarget([src, worker('other', [0, 1])], at, 'best-fit', 0);
    assert.deepEqual(r, { ok: true, workerId: 'other', coreIds: [0, 1] });
  });
  test('no other worker with room: NO_CAPACITY with the scheduler’s counts', () => {
    const r = chooseTarget(
      [src, worker('small', [0]), worker('lowmem', [0, 1], [], 10 * MiB)],
      at,
      'best-fit',
      0,
    );
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.code === 'NO_CAPACITY');
    assert.match(!r.ok ? r.reason : '', /no worker other than src has room: .*\d/);
  });
  test('a named target: unknown → WORKER_NOT_FOUND, the source → CONFLICT, draining → NO_CAPACITY', () => {
    const draining = { ...worker('dr', [0, 1]), state: 'draining' as const };
    const codes = ['ghost', 'src', 'dr'].map((to) => {
      const r = chooseTarget([src, draining], at, 'first-fit', 0, to);
      return r.ok ? 'ok' : r.code;
    });
    assert.deepEqual(codes, ['WORKER_NOT_FOUND', 'CONFLICT', 'NO_CAPACITY']);
  });
});

describe('moveTask and resizeTask', () => {
  test('a move keeps the attempt, counts the move, renames the container and waits for the target', () => {
    const j = runningJob(spec('mv', [{ name: 't1', cores: 1 }]), 'a', [[0]]);
    const moved = moveTask(j, 't1', 'b', [3], 42);
    const t = moved.tasks[0] as JobRecord['tasks'][number];
    assert.deepEqual(
      {
        attempt: moved.attempt,
        worker: t.workerId,
        cores: t.coreIds,
        moves: t.moves,
        moving: t.moving,
        state: t.state,
      },
      { attempt: 0, worker: 'b', cores: [3], moves: 1, moving: { from: 'a', at: 42 }, state: 'running' },
    );
    assert.equal(assignmentOf(j, j.tasks[0] as never).containerName, 'mv_t1');
    assert.equal(assignmentOf(moved, t).containerName, 'mv_t1-m1');
    const again = moveTask(moved, 't1', 'a', [0], 43);
    assert.equal(assignmentOf(again, again.tasks[0] as never).containerName, 'mv_t1-m2');
  });
  test('resizeTask sets cores from the cpuset', () => {
    const j = resizeTask(runningJob(spec('rs', [{ name: 't1', cores: 1 }]), 'a', [[0]]), 't1', [1, 2], 5);
    const t = j.tasks[0] as JobRecord['tasks'][number];
    assert.deepEqual([t.cores, t.coreIds, t.memoryBytes], [2, [1, 2], 5]);
  });
});

describe('resizeBooking', () => {
  const w = worker('w', [0, 1, 2, 3], [booking('j', 'a', [0]), booking('j', 'b', [1, 2])], 256 * MiB);
  const key = { job: 'j', task: 'a', attempt: 0 };
  const cases: [string, Parameters<typeof resizeBooking>[2], RegExp | number[]][] = [
    ['a free core', { coreIds: [3] }, [3]],
    ['its own core and a free one', { coreIds: [0, 3] }, [0, 3]],
    ['a busy core', { coreIds: [1] }, /cores 1 of w are busy \(booked by j\/b#0\); free for this task: 0,3/],
    ['a core the worker lacks', { coreIds: [9] }, /cores 9 are not cores of w/],
    ['cores and cpuset disagree', { coreIds: [3], cores: 2 }, /cpuset has 1 cores but cores is 2/],
    ['grow by count', { cores: 2 }, [0, 3]],
    ['grow past the free cores', { cores: 3 }, /w has 2 cores free for this task \(0,3\), 3 needed/],
    ['shrink by count keeps the first', { cores: 1 }, [0]],
    ['memory that fits', { memoryBytes: 192 * MiB }, [0]],
    ['memory that does not', { memoryBytes: 193 * MiB }, /w has 192 MiB free for this task, 193 MiB needed/],
  ];
  for (const [what, want, expected] of cases) {
    test(what, () => {
      const r = resizeBooking(w, key, want);
      if (expected instanceof RegExp) {
        assert.equal(r.ok, false);
        assert.match(r.ok ? '' : r.reason, expected);
      } else {
        assert.ok(r.ok, r.ok ? '' : r.reason);
        assert.deepEqual(r.booking.coreIds, expected);
        assert.equal(r.worker.bookings.length, 2);
      }
    });
  }
  test('a task without a booking here is refused', () => {
    const r = resizeBooking(w, { job: 'j', task: 'zz', attempt: 0 }, { cores: 1 });
    assert.equal(r.ok ? '' : r.reason, 'j/zz#0 holds no booking on w');
  });

  test('property: an accepted resize books no core twice and no more memory than the worker has', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 64 })), { maxLength: 6 }),
        fc.record({
          cores: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
          coreIds: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }), {
            nil: undefined,
          }),
          memoryBytes: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
        }),
        (coreIds, others, want) => {
          // Bookings that are valid to begin with: each other task takes one distinct free core.
          const taken = new Set<number>();
          const bookings: Booking[] = [booking('j', 'me', [coreIds[0] as number], 10)];
          taken.add(coreIds[0] as number);
          others.forEach(([c, m], i) => {
            if (coreIds.includes(c) && !taken.has(c)) {
              taken.add(c);
              bookings.push(booking('j', `o${i}`, [c], m));
            }
          });
          const w0 = worker('w', coreIds, bookings, 400);
          const r = resizeBooking(w0, { job: 'j', task: 'me', attempt: 0 }, want);
          if (!r.ok) return;
          const seen = new Set<number>();
          for (const b of r.worker.bookings)
            for (const c of b.coreIds) {
              assert.ok(!seen.has(c), `core ${c} twice`);
              assert.ok(coreIds.includes(c), `core ${c} is not the worker's`);
              seen.add(c);
            }
          assert.ok(r.worker.bookings.reduce((n, b) => n + b.memoryBytes, 0) <= 400);
          assert.equal(r.worker.bookings.length, bookings.length);
          if (want.cores !== undefined) assert.equal(r.booking.coreIds.length, want.cores);
        },
      ),
      { numRuns: 500 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { snapshotOf } from '../../core/control/index.js';
import { ControlState, type ControlCommand } from '../../core/control-state/index.js';
import { applyAll, joinCmd, jobSpec, planCmd, reportOf } from '../support/control-state-fixtures.js';

/** A state with workers `w1` (4 cores) and `w2` (4 cores) and job `a` of 2 × 2 cores placed. */
function placedState(restart = {}): ControlState {
  const s = new ControlState();
  applyAll(s, [
    joinCmd('w1', 4),
    joinCmd('w2', 4),
    { kind: 'submit', at: 1, spec: jobSpec('a', [2, 2], restart) },
  ]);
  const fx = s.apply(planCmd(s, 2));
  assert.deepEqual(fx.placed, ['a']);
  return s;
}

describe('ControlState: submit and place', () => {
  it('a submitted job waits; a second submit of the name is refused with JOB_EXISTS', () => {
    const s = new ControlState();
    const fx = s.apply({ kind: 'submit', at: 1, spec: jobSpec('a', [1]) });
    assert.equal(fx.outcome.ok, true);
    assert.equal(fx.schedule, true);
    assert.equal(s.job('a')?.state, 'waiting');
    const again = s.apply({ kind: 'submit', at: 2, spec: jobSpec('a', [1]) });
    assert.deepEqual(again.outcome, {
      ok: false,
      code: 'JOB_EXISTS',
      reason: 'a job named "a" already exists',
    });
  });

  it('a plan commits whole jobs, books exact cores, and dispatches every task', () => {
    const s = placedState();
    const job = s.job('a');
    assert.equal(job?.state, 'scheduled');
    const booked = s
      .workers()
      .flatMap((w) => w.bookings.map((b) => `${w.id}:${b.task}:${b.coreIds.join(',')}`));
    assert.equal(booked.length, 2);
    assert.deepEqual(s.consistencyProblems(), []);
  });

  it('a stale plan is re-checked: cores taken since the snapshot reject the job, nothing is booked', () => {
    const s = new ControlState();
    applyAll(s, [
      joinCmd('w1', 2),
      { kind: 'submit', at: 1, spec: jobSpec('a', [2]) },
      { kind: 'submit', at: 1, spec: jobSpec('b', [2]) },
    ]);
    const planA = planCmd(s, 2); // plans a (b does not fit after a)
    const cmdB: ControlCommand = {
      kind: 'place',
      at: 2,
      attempts: { b: 0 },
      placements: [{ job: 'b', task: 't0', workerId: 'w1', coreIds: [0, 1], memoryBytes: 64 * 1024 ** 2 }],
      misses: [],
    };
    assert.deepEqual(s.apply(cmdB).placed, ['b']);
    const fx = s.apply(planA);
    assert.deepEqual(fx.placed, []);
    assert.match(fx.rejected[0]?.reason ?? '', /cores 0,1 of w1 are not free/);
    assert.equal(s.job('a')?.state, 'waiting');
    assert.deepEqual(s.consistencyProblems(), []);
  });

  it('table: a place command is refused per job for each stale condition', () => {
    const cases: [string, (s: ControlState) => ControlCommand, RegExp][] = [
      [
        'unknown job',
        () => ({
          kind: 'place',
          at: 3,
          attempts: { zz: 0 },
          placements: [{ job: 'zz', task: 't0', workerId: 'w1', coreIds: [0], memoryBytes: 1 }],
          misses: [],
        }),
        /job zz is gone/,
      ],
      [
        'old attempt',
        () => ({
          kind: 'place',
          at: 3,
          attempts: { a: 7 },
          placements: [{ job: 'a', task: 't0', workerId: 'w1', coreIds: [0], memoryBytes: 1 }],
          misses: [],
        }),
        /plan was for attempt 7/,
      ],
      [
        'missing task',
        () => ({
          kind: 'place',
          at: 3,
          attempts: { a: 0 },
          placements: [{ job: 'a', task: 't0', workerId: 'w1', coreIds: [0], memoryBytes: 1 }],
          misses: [],
        }),
        /exactly once/,
      ],
      [
        'unknown worker',
        () => ({
          kind: 'place',
          at: 3,
          attempts: { a: 0 },
          placements: [0, 1].map((i) => ({
            job: 'a',
            task: `t${i}`,
            workerId: 'ghost',
            coreIds: [i],
            memoryBytes: 1,
          })),
          misses: [],
        }),
        /worker ghost is gone/,
      ],
      [
        'draining worker',
        (s) => (
          s.apply({ kind: 'worker-state', at: 3, worker: 'w1', state: 'draining' }),
          {
            kind: 'place',
            at: 3,
            attempts: { a: 0 },
            placements: [0, 1].map((i) => ({
              job: 'a',
              task: `t${i}`,
              workerId: 'w1',
              coreIds: [i],
              memoryBytes: 1,
            })),
            misses: [],
          }
        ),
        /w1 is draining/,
      ],
      [
        'same core twice in one job',
        () => ({
          kind: 'place',
          at: 3,
          attempts: { a: 0 },
          placements: [0, 1].map((i) => ({
            job: 'a',
            task: `t${i}`,
            workerId: 'w1',
            coreIds: [0],
            memoryBytes: 1,
          })),
          misses: [],
        }),
        /core|cores 0 of w1 are not free/,
      ],
    ];
    for (const [name, make, want] of cases) {
      const s = new ControlState();
      applyAll(s, [joinCmd('w1', 4), { kind: 'submit', at: 1, spec: jobSpec('a', [1, 1]) }]);
      const fx = s.apply(make(s));
      assert.deepEqual(fx.placed, [], name);
      assert.match(fx.rejected[0]?.reason ?? '', want, name);
      assert.deepEqual(s.consistencyProblems(), [], name);
    }
  });

  it('a job that never fits a known fleet fails with the reason; with no fleet it waits', () => {
    const s = new ControlState();
    s.apply({ kind: 'submit', at: 1, spec: jobSpec('big', [64]) });
    s.apply({
      kind: 'place',
      at: 2,
      attempts: { big: 0 },
      placements: [],
      misses: [{ job: 'big', reason: 'needs 64 cores', neverFits: true }],
    });
    assert.equal(s.job('big')?.state, 'waiting');
    assert.equal(s.job('big')?.unplacedReason, 'needs 64 cores');
    s.apply(joinCmd('w1', 4));
    const fx = s.apply({
      kind: 'place',
      at: 3,
      attempts: { big: 0 },
      placements: [],
      misses: [{ job: 'big', reason: 'needs 64 cores', neverFits: true }],
    });
    assert.equal(s.job('big'), undefined, 'an ended job leaves live state');
    assert.equal(fx.endedJobs[0]?.state, 'failed');
    assert.match(fx.endedJobs[0]?.failureReason ?? '', /can never be placed: needs 64 cores/);
  });
});

describe('ControlState: reports', () => {
  it('states only move forward; finishing frees the bookings and the job leaves live state', () => {
    const s = placedState();
    const r0 = reportOf(s, 'a', 't0', 'running', 10);
    const r1 = reportOf(s, 'a', 't1', 'running', 11);
    s.apply({ kind: 'reports', at: 11, reports: [r0, r1] });
    assert.equal(s.job('a')?.state, 'running');
    s.apply({ kind: 'reports', at: 12, reports: [reportOf(s, 'a', 't0', 'starting', 9)] });
    assert.equal(s.job('a')?.tasks[0]?.state, 'running', 'a late "starting" does not move a task back');
    s.apply({ kind: 'reports', at: 20, reports: [reportOf(s, 'a', 't0', 'finished', 20)] });
    assert.equal(s.workers().flatMap((w) => w.bookings).length, 1);
    const fx = s.apply({ kind: 'reports', at: 21, reports: [reportOf(s, 'a', 't1', 'finished', 21)] });
    assert.equal(fx.endedJobs[0]?.state, 'finished');
    assert.equal(s.workers().flatMap((w) => w.bookings).length, 0);
    assert.equal(fx.schedule, true, 'freed capacity asks for a round');
    assert.deepEqual(s.consistencyProblems(), []);
  });

  it('a failure re-queues under the restart policy (survivors stopped, everything freed), else fails', () => {
    const cases: [string, object, string][] = [
      ['on-failure', { mode: 'on-failure', maxAttempts: 1 }, 'waiting'],
      ['never', { mode: 'never' }, 'failed'],
    ];
    for (const [name, restart, want] of cases) {
      const s = placedState(restart);
      s.apply({
        kind: 'reports',
        at: 10,
        reports: [reportOf(s, 'a', 't0', 'running', 10), reportOf(s, 'a', 't1', 'running', 10)],
      });
      const fx = s.apply({ kind: 'reports', at: 11, reports: [reportOf(s, 'a', 't0', 'failed', 11)] });
      assert.deepEqual(
        fx.stop.map((x) => x.task),
        ['t1'],
        name,
      );
      const job = s.job('a');
      assert.equal(job?.state, want, name);
      if (want === 'waiting') {
        assert.equal(job?.attempt, 1, name);
        assert.equal(s.workers().flatMap((w) => w.bookings).length, 0, name);
      } else {
        // The survivor keeps its booking until its end is reported.
        assert.equal(s.workers().flatMap((w) => w.bookings).length, 1, name);
        const end = s.apply({ kind: 'reports', at: 12, reports: [reportOf(s, 'a', 't1', 'cancelled', 12)] });
        assert.equal(end.endedJobs[0]?.state, 'failed', name);
      }
      assert.deepEqual(s.consistencyProblems(), [], name);
    }
  });

  it('reports of an older attempt or from a former worker change nothing and stop a running container', () => {
    const s = placedState({ mode: 'on-failure', maxAttempts: 3 });
    const old = reportOf(s, 'a', 't0', 'running', 10);
    s.apply({ kind: 'reports', at: 11, reports: [reportOf(s, 'a', 't0', 'failed', 11)] });
    assert.equal(s.job('a')?.attempt, 1);
    const fx = s.apply({
      kind: 'reports',
      at: 12,
      reports: [old, { ...old, id: 'x', workerId: 'elsewhere', attempt: 1 }],
    });
    assert.equal(fx.stop.length, 2);
    assert.equal(fx.changedJobs.size, 0);
    const unknown = s.apply({ kind: 'reports', at: 13, reports: [{ ...old, job: 'ghost' }] });
    assert.deepEqual(
      unknown.stop.map((x) => x.job),
      ['ghost'],
    );
  });
});

describe('ControlState: cancel, workers, moves', () => {
  it('cancel: a waiting job ends at once; a placed one stops its tasks and ends when they report', () => {
    const s = new ControlState();
    s.apply({ kind: 'submit', at: 1, spec: jobSpec('w', [1]) });
    assert.equal(s.apply({ kind: 'cancel', at: 2, job: 'w' }).endedJobs[0]?.state, 'cancelled');
    const p = placedState();
    const fx = p.apply({ kind: 'cancel', at: 5, job: 'a' });
    assert.equal(fx.stop.length, 2);
    assert.deepEqual(p.apply({ kind: 'cancel', at: 6, job: 'nope' }).outcome, {
      ok: false,
      code: 'JOB_NOT_FOUND',
      reason: 'no live job is named nope',
    });
    p.apply({
      kind: 'reports',
      at: 7,
      reports: [reportOf(p, 'a', 't0', 'cancelled', 7), reportOf(p, 'a', 't1', 'cancelled', 7)],
    });
    assert.equal(p.job('a'), undefined);
    assert.deepEqual(p.consistencyProblems(), []);
  });

  it('worker loss re-queues or fails its jobs, marks tasks lost, frees everything there', () => {
    for (const [requeue, want] of [
      [true, 'waiting'],
      [false, 'failed'],
    ] as const) {
      const s = new ControlState();
      applyAll(s, [
        joinCmd('w1', 2),
        joinCmd('w2', 2),
        { kind: 'submit', at: 1, spec: jobSpec('a', [2, 2], { requeueOnWorkerLoss: requeue }) },
      ]);
      s.apply(planCmd(s, 2));
      const fx = s.apply({ kind: 'worker-lost', at: 3, worker: 'w1' });
      assert.equal(s.worker('w1')?.state, 'lost');
      assert.equal(fx.stop.length, 1, 'the task on the other worker is stopped');
      assert.ok(fx.events.some((e) => e.kind === 'task-state' && e.detail?.startsWith('lost')));
      assert.equal(s.worker('w1')?.bookings.length, 0);
      assert.equal(s.job('a')?.state, want);
      assert.deepEqual(s.consistencyProblems(), []);
      assert.equal(s.apply({ kind: 'worker-lost', at: 4, worker: 'w1' }).changedJobs.size, 0, 'idempotent');
    }
  });

  it('a worker back with fewer cores loses the tasks on the cores it no longer has', () => {
    const s = new ControlState();
    applyAll(s, [joinCmd('w1', 4), { kind: 'submit', at: 1, spec: jobSpec('a', [4]) }]);
    s.apply(planCmd(s, 2));
    s.apply(joinCmd('w1', 2, 5));
    assert.equal(s.job('a')?.state, 'waiting');
    assert.deepEqual(s.consistencyProblems(), []);
  });

  it('drain stops new placements; a move books the target, frees the source, assigns and stops', () => {
    const s = placedState();
    const job = s.job('a');
    const t0 = job?.tasks[0];
    const from = t0?.workerId as string;
    const to = from === 'w1' ? 'w2' : 'w1';
    const target = s.worker(to);
    const free = (target?.coreIds ?? []).filter(
      (c) => !(target?.bookings ?? []).some((b) => b.coreIds.includes(c)),
    );
    const fx = s.apply({ kind: 'move-task', at: 5, job: 'a', task: 't0', to, coreIds: free.slice(0, 2) });
    assert.equal(fx.outcome.ok, true);
    assert.equal(fx.assign[0]?.workerId, to);
    assert.deepEqual(
      fx.stop.map((x) => x.workerId),
      [from],
    );
    assert.equal(s.job('a')?.tasks[0]?.workerId, to);
    assert.deepEqual(s.consistencyProblems(), []);
    const busy = s.apply({
      kind: 'move-task',
      at: 6,
      job: 'a',
      task: 't1',
      to: from === 'w1' ? 'w1' : 'w2',
      coreIds: s.job('a')?.tasks[0]?.coreIds ?? [],
    });
    assert.equal(busy.outcome.ok, false);
    s.apply({ kind: 'worker-state', at: 7, worker: 'w1', state: 'draining' });
    assert.equal(s.worker('w1')?.state, 'draining');
  });

  it('resize checks the worker and changes the booking in place', () => {
    const s = placedState();
    const t0 = s.job('a')?.tasks[0];
    const w = s.worker(t0?.workerId as string);
    const others = w?.bookings.filter((b) => b.task !== 't0').flatMap((b) => b.coreIds) ?? [];
    const ok = s.apply({
      kind: 'resize-task',
      at: 5,
      job: 'a',
      task: 't0',
      coreIds: [t0?.coreIds[0] as number],
      memoryBytes: 32 * 1024 ** 2,
    });
    assert.equal(ok.outcome.ok, true);
    assert.equal(s.job('a')?.tasks[0]?.cores, 1);
    if (others.length > 0) {
      const no = s.apply({
        kind: 'resize-task',
        at: 6,
        job: 'a',
        task: 't0',
        coreIds: others,
        memoryBytes: 1,
      });
      assert.equal(no.outcome.ok, false);
    }
    assert.deepEqual(s.consistencyProblems(), []);
  });
});

/** Random command streams: bookings always balance, and snapshot + replay reproduce the state. */
describe('ControlState: properties', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const workers = ['w1', 'w2', 'w3'];
  const step = fc.oneof(
    fc.record({
      k: fc.constant('submit'),
      job: fc.constantFrom(...names),
      cores: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ k: fc.constant('plan') }),
    fc.record({ k: fc.constant('cancel'), job: fc.constantFrom(...names) }),
    fc.record({
      k: fc.constant('report'),
      job: fc.constantFrom(...names),
      task: fc.integer({ min: 0, max: 2 }),
      state: fc.constantFrom('starting', 'running', 'finished', 'failed'),
    }),
    fc.record({ k: fc.constant('lost'), worker: fc.constantFrom(...workers) }),
    fc.record({
      k: fc.constant('join'),
      worker: fc.constantFrom(...workers),
      cores: fc.integer({ min: 1, max: 6 }),
    }),
    fc.record({ k: fc.constant('drain'), worker: fc.constantFrom(...workers), on: fc.boolean() }),
  );
  type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

  function toCommand(s: ControlState, x: Step, at: number): ControlCommand | undefined {
    switch (x.k) {
      case 'submit':
        return { kind: 'submit', at, spec: jobSpec(`${x.job}${at % 3}`, x.cores) };
      case 'plan':
        return planCmd(s, at);
      case 'cancel':
        return { kind: 'cancel', at, job: `${x.job}${at % 3}` };
      case 'report': {
        const job = [...s.jobs()].find((j) => j.name.startsWith(x.job));
        const t = job?.tasks[x.task];
        return job && t
          ? { kind: 'reports', at, reports: [reportOf(s, job.name, t.name, x.state, at)] }
          : undefined;
      }
      case 'lost':
        return { kind: 'worker-lost', at, worker: x.worker };
      case 'join':
        return joinCmd(x.worker, x.cores, at);
      case 'drain':
        return { kind: 'worker-state', at, worker: x.worker, state: x.on ? 'draining' : 'ready' };
    }
  }

  it('after every command: no core booked twice, every booking backed, every placed task booked', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const s = new ControlState();
        applyAll(
          s,
          workers.map((w) => joinCmd(w, 4)),
        );
        steps.forEach((x, i) => {
          const cmd = toCommand(s, x, i + 1);
          if (cmd) s.apply(cmd);
          assert.deepEqual(s.consistencyProblems(), [], `after step ${i}: ${JSON.stringify(x)}`);
          // The cached scheduler views equal a fresh snapshot of the records.
          assert.deepEqual(s.clusterSnapshot(i), snapshotOf(s.workers(), i), `snapshot after step ${i}`);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('snapshot + replay of the rest gives the same state and the same effects', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 50 }), fc.nat(), (steps, cut) => {
        const live = new ControlState();
        applyAll(
          live,
          workers.map((w) => joinCmd(w, 4)),
        );
        const log: ControlCommand[] = [];
        steps.forEach((x, i) => {
          const cmd = toCommand(live, x, i + 1);
          if (cmd) {
            log.push(cmd);
            live.apply(cmd);
          }
        });
        const base = new ControlState();
        applyAll(
          base,
          workers.map((w) => joinCmd(w, 4)),
        );
        const at = log.length === 0 ? 0 : cut % log.length;
        applyAll(base, log.slice(0, at));
        const restored = ControlState.fromSnapshot(JSON.parse(JSON.stringify(base.toSnapshot())));
        // The log and the snapshot are stored as JSON: replay what a standby would read.
        const stored = JSON.parse(JSON.stringify(log.slice(at))) as ControlCommand[];
        const replayed = stored.map((c) => restored.apply(c));
        const again = ControlState.fromSnapshot(JSON.parse(JSON.stringify(base.toSnapshot())));
        const replayed2 = stored.map((c) => again.apply(c));
        const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
        assert.deepEqual(json(restored.toSnapshot()), json(live.toSnapshot()));
        assert.deepEqual(
          replayed.map((f) => [f.placed, f.stop, f.events]),
          replayed2.map((f) => [f.placed, f.stop, f.events]),
        );
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * @module Retry-next-node in the control state: failed starts per (worker, group), the backoff
 * and blacklist derived from them, the scheduler avoiding those workers, a success resetting the
 * count, and snapshot + replay rebuilding the same table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ControlState,
  DEFAULT_START_BACKOFF,
  StartFailureTable,
  backoffUntil,
  planRound,
  type ControlCommand,
  type ControlSnapshotData,
} from '../../core/control-state/index.js';
import { joinCmd, jobSpec, reportOf } from '../support/control-state-fixtures.js';

const policy = DEFAULT_START_BACKOFF;

/** One round as the leader runs it; applies and returns the `place` command (if any). */
function round(s: ControlState, at: number, strategy = 'best-fit'): ControlCommand | undefined {
  const cmd = planRound(s, at, { strategy, agingPerSecond: 0, maxJobs: 100, round: at });
  if (cmd) s.apply(cmd);
  return cmd;
}

/** A report of the job's only task, as a command. */
function report(s: ControlState, job: string, state: 'running' | 'failed', at: number): ControlCommand {
  return { kind: 'reports', at, reports: [reportOf(s, job, 't0', state, at)] };
}

const workerOf = (s: ControlState, job: string): string | null | undefined => s.job(job)?.tasks[0]?.workerId;

describe('start backoff: the schedule', () => {
  it('doubles from 5 s up to the cap, then blacklists after 3 consecutive failures', () => {
    const at = 1_000_000;
    const until = (failures: number, p = policy): number =>
      backoffUntil({ worker: 'a', group: 'g', failures, lastFailedAt: at }, p) - at;
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => until(n)),
      [5_000, 10_000, 1_800_000, 1_800_000],
    );
    const long = { ...policy, blacklistAfter: 10 };
    assert.deepEqual(
      [1, 2, 6, 7, 9].map((n) => until(n, long)),
      [5_000, 10_000, 160_000, 300_000, 300_000],
    );
  });

  it('the table: consecutive failures count up, a success resets, a removed worker is dropped', () => {
    const t = new StartFailureTable();
    t.failed('a', 'g', 100);
    t.failed('a', 'g', 200);
    t.failed('b', 'g', 200);
    t.failed('a', 'h', 200);
    assert.equal(t.get('a', 'g')?.failures, 2);
    assert.deepEqual(t.avoidAt(['g', 'h', 'x'], 5_000, policy), { g: ['a', 'b'], h: ['a'] });
    // Expired backoffs are not avoided any more, but the count stays until a success.
    assert.deepEqual(t.avoidAt(['g'], 200 + 10_000, policy), {});
    assert.equal(t.get('a', 'g')?.failures, 2);
    t.started('a', 'g');
    assert.equal(t.get('a', 'g'), undefined);
    t.dropWorker('a');
    assert.deepEqual(
      t.list().map((e) => `${e.worker}/${e.group}`),
      ['b/g'],
    );
  });
});

describe('retry-next-node in the control state', () => {
  /** Workers a and b (best-fit picks a, the lowest id, first) and job j of one 1-core task. */
  function setUp(): ControlState {
    const s = new ControlState();
    s.apply(joinCmd('a', 4));
    s.apply(joinCmd('b', 4));
    s.apply({ kind: 'submit', at: 10, spec: jobSpec('j', [1], { maxAttempts: 10 }) });
    return s;
  }

  it('a failed start on a sends the next attempt to b; a start that runs resets the count', () => {
    const s = setUp();
    round(s, 1_000);
    assert.equal(workerOf(s, 'j'), 'a');
    s.apply(report(s, 'j', 'failed', 2_000));
    assert.equal(s.job('j')?.state, 'waiting');
    assert.deepEqual(s.startFailures.get('a', 'j'), {
      worker: 'a',
      group: 'j',
      failures: 1,
      lastFailedAt: 2_000,
    });
    round(s, 2_000);
    assert.equal(workerOf(s, 'j'), 'b', 'the next placement avoids a');
    s.apply(report(s, 'j', 'running', 2_500));
    assert.equal(s.startFailures.get('b', 'j'), undefined);
    assert.equal(s.startFailures.get('a', 'j')?.failures, 1, 'a success elsewhere does not reset a');
  });

  it('after the backoff the worker is tried again, and running there resets its count', () => {
    const s = setUp();
    s.apply({ kind: 'worker-state', at: 0, worker: 'b', state: 'draining' });
    round(s, 1_000);
    s.apply(report(s, 'j', 'failed', 2_000));
    // Only a is ready, and a is backing off: the job waits, and its reason counts a.
    assert.equal(round(s, 2_000)?.kind, 'place');
    assert.equal(s.job('j')?.state, 'waiting');
    assert.match(s.job('j')?.unplacedReason ?? '', /: 1 worker not ready; 1 avoided after failed starts$/);
    round(s, 2_000 + policy.baseMs);
    assert.equal(workerOf(s, 'j'), 'a');
    s.apply(report(s, 'j', 'running', 8_000));
    assert.equal(s.startFailures.get('a', 'j'), undefined);
  });

  it('three failures in a row blacklist the pair for 30 minutes', () => {
    const s = setUp();
    s.apply({ kind: 'worker-state', at: 0, worker: 'b', state: 'draining' });
    let at = 1_000;
    for (let n = 1; n <= 3; n++) {
      round(s, at);
      assert.equal(workerOf(s, 'j'), 'a', `attempt ${n} placed on a`);
      s.apply(report(s, 'j', 'failed', at + 1));
      at += 1 + policy.maxMs; // past any backoff, never past the blacklist
    }
    assert.equal(s.startFailures.get('a', 'j')?.failures, 3);
    round(s, at);
    assert.equal(s.job('j')?.state, 'waiting', 'blacklisted: not placed after the longest backoff');
    round(s, at + policy.blacklistMs);
    assert.equal(workerOf(s, 'j'), 'a', 'placed again once the blacklist ends');
  });

  it('a service or a spreadGroup is the group: jobs sharing it avoid the worker together', () => {
    const s = new ControlState();
    s.apply(joinCmd('a', 4));
    s.apply(joinCmd('b', 4));
    s.apply({ kind: 'submit', at: 1, spec: { ...jobSpec('x', [1]), spreadGroup: 'web' } });
    round(s, 1_000);
    s.apply(report(s, 'x', 'failed', 1_500));
    s.apply({ kind: 'submit', at: 1_600, spec: { ...jobSpec('y', [1]), spreadGroup: 'web' } });
    // First-fit would take a for both; the failure of x on a keeps the whole group off it.
    round(s, 2_000, 'first-fit');
    assert.equal(workerOf(s, 'x'), 'b');
    assert.equal(workerOf(s, 'y'), 'b');
  });

  it('a removed worker takes its failure counts with it', () => {
    const s = setUp();
    round(s, 1_000);
    s.apply(report(s, 'j', 'failed', 2_000));
    s.apply({ kind: 'worker-removed', at: 3_000, worker: 'a' });
    assert.equal(s.startFailures.size, 0);
  });
});

describe('spread through the control state', () => {
  it("a job's tasks and booked instances of its group spread over the workers", () => {
    const s = new ControlState();
    for (const id of ['a', 'b', 'c']) s.apply(joinCmd(id, 8));
    s.apply({ kind: 'submit', at: 1, spec: { ...jobSpec('x', [1, 1]), spreadGroup: 'web' } });
    round(s, 10, 'spread');
    s.apply({ kind: 'submit', at: 11, spec: { ...jobSpec('y', [1]), spreadGroup: 'web' } });
    round(s, 20, 'spread');
    const on = (job: string): string[] => (s.job(job)?.tasks ?? []).map((t) => t.workerId ?? '-');
    assert.deepEqual([...on('x'), ...on('y')], ['a', 'b', 'c']);
    assert.deepEqual(s.groupInstances(['web']), { web: { a: 1, b: 1, c: 1 } });
  });
});

describe('snapshot + replay', () => {
  it('rebuilds the same failure table and the same placements, for random failure streams', () => {
    const step = fc.oneof(
      fc.record({ k: fc.constant('fail' as const), job: fc.constantFrom('j', 'k') }),
      fc.record({ k: fc.constant('run' as const), job: fc.constantFrom('j', 'k') }),
      fc.record({ k: fc.constant('round' as const), dt: fc.integer({ min: 0, max: 400_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.nat(40), (steps, cut) => {
        const s = new ControlState();
        const log: ControlCommand[] = [];
        const apply = (c: ControlCommand): void => {
          if (s.apply(c).outcome.ok) log.push(c);
        };
        apply(joinCmd('a', 2));
        apply(joinCmd('b', 2));
        apply(joinCmd('c', 2));
        apply({ kind: 'submit', at: 1, spec: jobSpec('j', [1], { maxAttempts: 100 }) });
        apply({ kind: 'submit', at: 1, spec: jobSpec('k', [1, 1], { maxAttempts: 100 }) });
        let at = 100;
        let snapshot: { data: string; logged: number } | undefined;
        for (const [i, st] of steps.entries()) {
          if (i === cut) snapshot = { data: JSON.stringify(s.toSnapshot()), logged: log.length };
          at += 1;
          const job = st.k === 'round' ? undefined : s.job(st.job);
          if (st.k === 'round') {
            at += st.dt;
            const cmd = planRound(s, at, { strategy: 'spread', agingPerSecond: 0, maxJobs: 10, round: i });
            if (cmd) apply(cmd);
          } else if (job?.tasks[0]?.workerId && !['running', 'failed'].includes(job.tasks[0].state)) {
            apply(report(s, st.job, st.k === 'fail' ? 'failed' : 'running', at));
          }
        }
        snapshot ??= { data: JSON.stringify(s.toSnapshot()), logged: log.length };
        const restored = ControlState.fromSnapshot(JSON.parse(snapshot.data) as ControlSnapshotData);
        for (const c of JSON.parse(JSON.stringify(log.slice(snapshot.logged))) as ControlCommand[])
          restored.apply(c);
        assert.deepEqual(restored.startFailures.list(), s.startFailures.list());
        // As stored (JSON drops undefined fields); a restore re-derives bookings in job order.
        const stored = (x: ControlState): unknown => {
          const data = JSON.parse(JSON.stringify(x.toSnapshot())) as ControlSnapshotData;
          const key = (b: { job: string; task: string }): string => `${b.job}/${b.task}`;
          const workers = data.workers.map((w) => ({
            ...w,
            bookings: [...w.bookings].sort((p, q) => (key(p) < key(q) ? -1 : 1)),
          }));
          return { ...data, workers };
        };
        assert.deepEqual(stored(restored), stored(s));
        assert.deepEqual(
          restored.startFailures.avoidAt(['j', 'k'], at, policy),
          s.startFailures.avoidAt(['j', 'k'], at, policy),
        );
        assert.deepEqual(restored.groupInstances(['j', 'k']), s.groupInstances(['j', 'k']));
      }),
      { numRuns: 150 },
    );
  });
});

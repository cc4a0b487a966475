/**
 * The settle delay before "can never fit" is final: while a worker joined less than
 * `neverFitsSettleMs` ago, a job that cannot fit the fleet as it is waits (its reason says until
 * when) instead of failing; once the fleet has been quiet that long it fails as before, unless
 * `neverFits` is "wait" (it then waits for good, with its reason). Pure: the
 * decision is made by planRound from the state and the round's time, and carried in the command.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlState } from '../../core/control-state/index.js';
import { planRound, type NeverFitsAction } from '../../core/control-state/plan-round.js';
import { joinCmd, jobSpec } from '../support/control-state-fixtures.js';

const SETTLE = 30_000;

/** A state with one 4-core worker that joined at `joinAt`, and `jobs` submitted just after. */
function stateWith(joinAt: number, jobs: readonly (readonly [string, readonly number[]])[]): ControlState {
  const s = new ControlState();
  s.apply(joinCmd('w1', 4, joinAt));
  for (const [name, cores] of jobs) s.apply({ kind: 'submit', at: joinAt + 1, spec: jobSpec(name, cores) });
  return s;
}

/** One round at `at`: the command it makes (applied) and the judge times it asked for. */
function round(s: ControlState, at: number, settleMs = SETTLE, neverFits: NeverFitsAction = 'fail') {
  const judgeAt: number[] = [];
  const cmd = planRound(s, at, {
    strategy: 'best-fit',
    agingPerSecond: 0,
    maxJobs: 100,
    round: 1,
    neverFitsSettleMs: settleMs,
    neverFits,
    onJudgeLater: (t) => judgeAt.push(t),
  });
  const fx = cmd ? s.apply(cmd) : undefined;
  return { cmd, judgeAt, fx };
}

describe('never-fits settle delay', () => {
  const cases = [
    { what: 'one task larger than every worker (NEVER_FITS)', cores: [8] },
    { what: 'a gang that cannot run together (GANG_NEVER_FITS)', cores: [3, 3] },
  ] as const;
  for (const { what, cores } of cases) {
    it(`${what}: waits with the reason while the fleet settles, fails once it has`, () => {
      const s = stateWith(1_000, [['big', cores]]);
      const early = round(s, 5_000);
      assert.deepEqual(early.judgeAt, [31_000], 'judged 30 s after the last join');
      assert.equal(early.cmd?.kind, 'place');
      const miss = early.cmd?.kind === 'place' ? early.cmd.misses[0] : undefined;
      assert.equal(miss?.neverFits, false);
      assert.match(
        miss?.reason ?? '',
        /(in total|together|can never run it).*; judged final once no worker has joined for 30 s$/,
      );
      assert.equal(s.job('big')?.state, 'waiting');
      assert.match(s.job('big')?.unplacedReason ?? '', /judged final once no worker has joined for 30 s/);

      // The same reason again is not recorded again (a quiet queue logs nothing new).
      const again = round(s, 20_000);
      assert.equal(again.cmd, undefined);
      assert.deepEqual(again.judgeAt, [31_000]);

      const late = round(s, 31_000);
      assert.deepEqual(late.judgeAt, []);
      assert.equal(s.job('big'), undefined, 'a failed job leaves live state');
      const failed = late.fx?.endedJobs.find((j) => j.name === 'big');
      assert.equal(failed?.state, 'failed');
      assert.match(failed?.failureReason ?? '', /^can never be placed: task|^can never be placed: job/);
      assert.doesNotMatch(failed?.failureReason ?? '', /judged final/);
    });
  }

  it('a worker joining within the delay starts it again, and may make the job fit', () => {
    const s = stateWith(1_000, [['pair', [3, 3]]]);
    assert.deepEqual(round(s, 2_000).judgeAt, [31_000]);
    s.apply(joinCmd('w2', 4, 20_000));
    // The new worker makes room: the job is placed, nothing is judged.
    const r = round(s, 20_001);
    assert.deepEqual(r.judgeAt, []);
    assert.equal(s.job('pair')?.state, 'scheduled');
  });

  it('a join that does not help only moves the judgement later', () => {
    const s = stateWith(1_000, [['huge', [16]]]);
    assert.deepEqual(round(s, 2_000).judgeAt, [31_000]);
    s.apply(joinCmd('w2', 2, 25_000));
    assert.deepEqual(round(s, 31_000).judgeAt, [55_000]);
    assert.equal(s.job('huge')?.state, 'waiting');
    round(s, 55_000);
    assert.equal(s.hasEnded('huge'), true);
  });

  it('0 judges at once, as without the delay', () => {
    const s = stateWith(1_000, [['big', [8]]]);
    const r = round(s, 1_002, 0);
    assert.deepEqual(r.judgeAt, []);
    assert.equal(s.hasEnded('big'), true);
  });

  it('jobs that only lack free room are not affected: no judgement is asked for', () => {
    const s = stateWith(1_000, [
      ['fill', [4]],
      ['next', [2]],
    ]);
    const r = round(s, 1_500);
    assert.deepEqual(r.judgeAt, []);
    assert.equal(s.job('next')?.state, 'waiting');
    assert.doesNotMatch(s.job('next')?.unplacedReason ?? '', /judged final/);
  });

  for (const settleMs of [SETTLE, 0]) {
    it(`neverFits "wait" (settle ${settleMs} ms): the job waits with its reason past the delay, asks for no judgement, and runs when a big enough worker joins`, () => {
      const s = stateWith(1_000, [['big', [8]]]);
      for (const at of [2_000, 31_000, 10_000_000]) {
        const r = round(s, at, settleMs, 'wait');
        assert.deepEqual(r.judgeAt, [], `no judgement at ${at}`);
        assert.equal(s.job('big')?.state, 'waiting', `still waiting at ${at}`);
      }
      assert.match(
        s.job('big')?.unplacedReason ?? '',
        /in total.*; waits for a worker that can hold it \(scheduler\.neverFits is "wait"\)$/,
      );
      assert.doesNotMatch(s.job('big')?.unplacedReason ?? '', /judged final/);
      s.apply(joinCmd('w2', 8, 20_000_000));
      round(s, 20_000_001, settleMs, 'wait');
      assert.equal(s.job('big')?.state, 'scheduled');
    });
  }

  it('a snapshot keeps the time of the last join', () => {
    const s = stateWith(7_000, [['big', [8]]]);
    const restored = ControlState.fromSnapshot(JSON.parse(JSON.stringify(s.toSnapshot())));
    assert.equal(restored.lastJoinAt(), 7_000);
    assert.deepEqual(round(restored, 8_000).judgeAt, [37_000]);
    assert.equal(new ControlState().lastJoinAt(), Number.NEGATIVE_INFINITY);
  });
});

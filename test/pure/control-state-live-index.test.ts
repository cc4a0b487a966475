/**
 * @module The control state's live scheduler index: after random command streams (rounds planned
 * on the live index through planRound, under every strategy), planning on the live index gives
 * exactly the plan `schedule` gives on `clusterSnapshot()`, for every strategy, and leaves the
 * index as it found it; a restored state's index plans the same.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { requestsOf } from '../../core/control/cluster-snapshot.js';
import { ControlState } from '../../core/control-state/index.js';
import { planRound } from '../../core/control-state/plan-round.js';
import { STRATEGY_NAMES, schedule, scheduleOnLive, type JobRequest } from '../../core/scheduler/index.js';
import {
  applyAll,
  arbStreamStep,
  jobSpec,
  joinCmd,
  streamCommand,
} from '../support/control-state-fixtures.js';
import { arbBatch, arbNowMs } from '../support/scheduler-fixtures.js';

/** Every strategy: the live plan equals the snapshot plan, and planning leaves the index unchanged. */
function assertLiveMatchesSnapshot(
  s: ControlState,
  jobs: readonly JobRequest[],
  nowMs: number,
  v: number,
): void {
  for (const strategy of STRATEGY_NAMES) {
    const live = s.schedulerIndex();
    const before = live.inspect();
    const plan = scheduleOnLive(live, jobs, strategy, { nowMs, snapshotVersion: v });
    assert.deepEqual(plan, schedule(s.clusterSnapshot(v), jobs, strategy, { nowMs }), strategy);
    assert.deepEqual(live.inspect(), before, `${strategy}: planning changed the index`);
  }
}

function startedState(): ControlState {
  const s = new ControlState();
  applyAll(s, [joinCmd('w0', 4), joinCmd('w1', 4), joinCmd('w2', 6)]);
  return s;
}

describe('ControlState: the live scheduler index', () => {
  it('after random command streams, live plans equal snapshot plans for every strategy', () => {
    fc.assert(
      fc.property(
        fc.array(arbStreamStep, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 39 }),
        arbBatch,
        arbNowMs,
        (steps, checkAt, batch, nowMs) => {
          const s = startedState();
          steps.forEach((x, i) => {
            const cmd = streamCommand(s, x, i + 1);
            if (cmd) s.apply(cmd);
            assert.deepEqual(s.consistencyProblems(), [], `after step ${i}: ${JSON.stringify(x)}`);
            assert.deepEqual(s.schedulerIndex().snapshot(i), s.clusterSnapshot(i), `index after step ${i}`);
            // A check in the middle of the stream: later steps then run on an index already planned on.
            if (i === checkAt) assertLiveMatchesSnapshot(s, batch, nowMs, i);
          });
          assertLiveMatchesSnapshot(s, batch, nowMs, 99);
          assertLiveMatchesSnapshot(s, requestsOf(s.waitingJobs()), nowMs, 100);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a state restored from a snapshot plans on its own index as the original does', () => {
    fc.assert(
      fc.property(fc.array(arbStreamStep, { minLength: 1, maxLength: 40 }), arbBatch, (steps, batch) => {
        const s = startedState();
        steps.forEach((x, i) => {
          const cmd = streamCommand(s, x, i + 1);
          if (cmd) s.apply(cmd);
        });
        const restored = ControlState.fromSnapshot(JSON.parse(JSON.stringify(s.toSnapshot())));
        for (const strategy of STRATEGY_NAMES) {
          const options = { nowMs: 200_000, snapshotVersion: 1 };
          assert.deepEqual(
            scheduleOnLive(restored.schedulerIndex(), batch, strategy, options),
            scheduleOnLive(s.schedulerIndex(), batch, strategy, options),
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a removed worker leaves the index, a drained one stays not ready, a rejoin brings it back', () => {
    const s = startedState();
    const pinned = [
      {
        jobId: 'p',
        priority: 0,
        submittedAtMs: 0,
        tasks: [{ taskId: 't', cores: 1, memoryBytes: 0, pin: { workerId: 'w1' } }],
      },
    ];
    const code = (): string | undefined =>
      scheduleOnLive(s.schedulerIndex(), pinned, 'best-fit', { nowMs: 0, snapshotVersion: 1 }).unplaced[0]
        ?.code;
    assert.equal(code(), undefined);
    s.apply({ kind: 'worker-state', at: 1, worker: 'w1', state: 'draining' });
    assert.equal(code(), 'PIN_NOT_READY');
    s.apply({ kind: 'worker-removed', at: 2, worker: 'w1' });
    assert.equal(code(), 'PIN_UNKNOWN_WORKER');
    assert.equal(s.schedulerIndex().size, 2);
    s.apply(joinCmd('w1', 2, 3));
    assert.equal(code(), undefined);
    assert.equal(s.schedulerIndex().size, 3);
  });

  it('planRound books what the live plan placed, and the next round sees the bookings', () => {
    const s = startedState();
    s.apply({ kind: 'submit', at: 1, spec: jobSpec('a', [4, 4]) });
    const place = planRound(s, 2, { strategy: 'best-fit', agingPerSecond: 0, maxJobs: 10, round: 1 });
    assert.deepEqual(
      place?.placements.map((p) => [p.workerId, p.coreIds]),
      [
        ['w0', [0, 1, 2, 3]],
        ['w1', [0, 1, 2, 3]],
      ],
    );
    assert.ok(place);
    s.apply(place);
    s.apply({ kind: 'submit', at: 3, spec: jobSpec('b', [4]) });
    const next = planRound(s, 4, { strategy: 'best-fit', agingPerSecond: 0, maxJobs: 10, round: 2 });
    assert.deepEqual(
      next?.placements.map((p) => [p.job, p.workerId, p.coreIds]),
      [['b', 'w2', [0, 1, 2, 3]]],
    );
  });
});

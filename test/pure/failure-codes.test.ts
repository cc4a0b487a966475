/**
 * Every way a job fails records a stable `failureCode` next to its readable reason, and the codes
 * the API may answer are exactly the OpenAPI enum. A re-queued job keeps the code of the attempt
 * that ended, as it keeps the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ControlState, type ControlCommand, type Effects } from '../../core/control-state/index.js';
import { FAILURE_CODES, failureCodeOfUnplaced } from '../../core/job/failure-code.js';
import { permanentStartFailure } from '../../core/job/start-failure.js';
import type { JobRecord } from '../../core/model/records.js';
import { UNPLACED_CODES } from '../../core/scheduler/types.js';
import { applyAll, joinCmd, jobSpec, planCmd, reportOf } from '../support/control-state-fixtures.js';

/** The job after `fx`: live, or among the jobs that just left live state. */
function jobAfter(s: ControlState, fx: Effects | undefined, name: string): JobRecord | undefined {
  return s.job(name) ?? fx?.endedJobs.find((j) => j.name === name);
}

/** A state with workers w1, w2 (2 cores each) and `spec` submitted and placed. */
function placed(spec: ReturnType<typeof jobSpec>): ControlState {
  const s = new ControlState();
  applyAll(s, [joinCmd('w1', 2), joinCmd('w2', 2), { kind: 'submit', at: 1, spec }]);
  s.apply(planCmd(s, 2));
  assert.equal(s.job(spec.name)?.state, 'scheduled');
  return s;
}

describe('failure codes', () => {
  it('a job that can never be placed fails with the scheduler code', () => {
    for (const [cores, code] of [
      [[8], 'NEVER_FITS'],
      [[2, 2, 1], 'GANG_NEVER_FITS'],
    ] as const) {
      const s = new ControlState();
      applyAll(s, [
        joinCmd('w1', 2),
        joinCmd('w2', 2),
        { kind: 'submit', at: 1, spec: jobSpec('big', cores) },
      ]);
      const fx = s.apply(planCmd(s, 2));
      const j = jobAfter(s, fx, 'big');
      assert.equal(j?.state, 'failed');
      assert.equal(j?.failureCode, code);
      assert.match(j?.failureReason ?? '', /^can never be placed: /);
    }
  });

  it('a place command logged before codes were carried fails the job with a null code', () => {
    const s = new ControlState();
    applyAll(s, [joinCmd('w1', 2), { kind: 'submit', at: 1, spec: jobSpec('old', [8]) }]);
    const cmd: ControlCommand = {
      kind: 'place',
      at: 2,
      attempts: { old: 0 },
      placements: [],
      misses: [{ job: 'old', reason: 'needs 8 cores', neverFits: true }],
    };
    const j = jobAfter(s, s.apply(cmd), 'old');
    assert.equal(j?.state, 'failed');
    assert.equal(j?.failureCode, null);
  });

  it('a task that fails with the restart policy spent: TASK_FAILED; with attempts left it waits with that code', () => {
    const s = placed(jobSpec('once', [1], { mode: 'never' }));
    const fx = applyAll(s, [
      { kind: 'reports', at: 3, reports: [reportOf(s, 'once', 't0', 'running', 3)] },
      { kind: 'reports', at: 4, reports: [reportOf(s, 'once', 't0', 'failed', 4)] },
    ]);
    assert.equal(jobAfter(s, fx, 'once')?.state, 'failed');
    assert.equal(jobAfter(s, fx, 'once')?.failureCode, 'TASK_FAILED');

    const r = placed(jobSpec('retry', [1], { mode: 'on-failure', maxAttempts: 3 }));
    r.apply({ kind: 'reports', at: 4, reports: [reportOf(r, 'retry', 't0', 'failed', 4)] });
    assert.equal(r.job('retry')?.state, 'waiting');
    assert.equal(r.job('retry')?.failureCode, 'TASK_FAILED');
  });

  it('a permanent start failure: START_FAILED at once, attempts left or not', () => {
    const s = placed(jobSpec('bad-image', [1], { mode: 'on-failure', maxAttempts: 5 }));
    const reason = permanentStartFailure('pull access denied for nope');
    const fx = s.apply({
      kind: 'reports',
      at: 4,
      reports: [reportOf(s, 'bad-image', 't0', 'failed', 4, { exitCode: null, reason })],
    });
    const j = jobAfter(s, fx, 'bad-image');
    assert.equal(j?.state, 'failed');
    assert.equal(j?.failureCode, 'START_FAILED');
  });

  it('a lost worker: WORKER_LOST; a removed one: WORKER_REMOVED (when the policy does not re-queue)', () => {
    for (const [kind, code] of [
      ['worker-lost', 'WORKER_LOST'],
      ['worker-removed', 'WORKER_REMOVED'],
    ] as const) {
      const s = placed(jobSpec('j', [2], { requeueOnWorkerLoss: false }));
      const where = s.job('j')?.tasks[0]?.workerId as string;
      const fx = s.apply({ kind, at: 3, worker: where });
      assert.equal(jobAfter(s, fx, 'j')?.state, 'failed', kind);
      assert.equal(jobAfter(s, fx, 'j')?.failureCode, code, kind);
    }
    const r = placed(jobSpec('again', [2], { requeueOnWorkerLoss: true }));
    r.apply({ kind: 'worker-lost', at: 3, worker: r.job('again')?.tasks[0]?.workerId as string });
    assert.equal(r.job('again')?.state, 'waiting');
    assert.equal(r.job('again')?.failureCode, 'WORKER_LOST');
  });

  it('every scheduler code that can fail a job is a failure code; the others are not', () => {
    const failing = ['NEVER_FITS', 'GANG_NEVER_FITS', 'PIN_CORE_OUT_OF_RANGE', 'PIN_CORE_CONFLICT'];
    for (const code of UNPLACED_CODES) {
      const expected = failing.includes(code) || code === 'INVALID_REQUEST' || code === 'JOB_EMPTY';
      assert.equal(failureCodeOfUnplaced(code) !== null, expected, code);
    }
    assert.equal(failureCodeOfUnplaced(undefined), null);
  });

  it("the OpenAPI JobView's failureCode enum is exactly FAILURE_CODES (and null)", () => {
    const spec = parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'openapi', 'openapi.yaml'), 'utf8'),
    );
    const schema = spec.components.schemas.JobView.properties.failureCode;
    assert.deepEqual([...schema.enum].filter((x: unknown) => x !== null).sort(), [...FAILURE_CODES].sort());
    assert.ok(schema.enum.includes(null));
  });
});

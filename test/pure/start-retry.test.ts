/**
 * @module Permanent and transient start errors: how a worker classifies the engine's answers,
 * the capped exponential backoff of transient ones, and the JobManager failing a job on a
 * permanent start failure instead of re-queueing it (before: 100 attempts in 6 s).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ControlState } from '../../core/control-state/index.js';
import {
  isPermanentStartFailure,
  PERMANENT_START_FAILURE,
  permanentStartFailure,
} from '../../core/job/start-failure.js';
import { TaskStartError } from '../../worker/docker/docker-errors.js';
import { startErrorKind, startRetryDelayMs } from '../../worker/start-retry.js';
import { applyAll, joinCmd, jobSpec, planCmd, reportOf } from '../support/control-state-fixtures.js';

/** A dockerode-shaped error: HTTP status and the engine's JSON body. */
function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) x - ${message}`), {
    statusCode,
    json: { message },
  });
}

describe('start errors', () => {
  it('table: permanent or transient', () => {
    const cases: [string, unknown, 'permanent' | 'transient'][] = [
      [
        'missing executable (400)',
        engineError(400, 'failed to create shim task: exec: "x": executable file not found in $PATH'),
        'permanent',
      ],
      ['cpus not available (400)', engineError(400, 'Requested CPUs are not available'), 'permanent'],
      ['no such image (404)', engineError(404, 'No such image: rswarm/missing:latest'), 'permanent'],
      [
        // Two clusters created one job network name at once; the later copy is removed at once.
        'network ambiguous while a duplicate exists (400)',
        engineError(400, 'network twin-net-5d62f6c6 is ambiguous (2 matches found on name)'),
        'transient',
      ],
      [
        'network ambiguous, as the message of the 500 some engines answer',
        engineError(500, 'network twin-net is ambiguous (2 matches found based on name)'),
        'transient',
      ],
      [
        'a missing network whose name reads like the ambiguous message is not it',
        engineError(404, 'network x is ambiguous (2 matches found on name)-really not found'),
        'permanent',
      ],
      ['OCI error (500)', engineError(500, 'OCI runtime create failed: invalid mount'), 'permanent'],
      [
        'pull with no registry',
        new TaskStartError(
          'image x is not present and could not be pulled: dial tcp: lookup registry: no such host',
          {
            cause: engineError(500, 'dial tcp: lookup registry: no such host'),
          },
        ),
        'permanent',
      ],
      [
        'refused volume',
        new TaskStartError('volume /etc resolves outside the allow-list', { refusal: true }),
        'permanent',
      ],
      [
        'refused volume whose path reads like a passing condition',
        new TaskStartError('volume /tmp/timeout/try again:/data refused: outside the allow-list', {
          cause: Object.assign(new Error('ENOENT'), { code: 'ENOENT' }),
          refusal: true,
        }),
        'permanent',
      ],
      [
        'refused network named like a busy port',
        new TaskStartError('network port-is-already-allocated refused: it belongs to another job', {
          refusal: true,
        }),
        'permanent',
      ],
      [
        'pull timeout',
        new TaskStartError('image x is not present and could not be pulled: pull timed out after 5000 ms', {
          cause: new Error('pull timed out after 5000 ms'),
        }),
        'transient',
      ],
      [
        'image inspect refused by the engine, image name reading "temporary"',
        new TaskStartError('image temporary:timeout: invalid reference format', {
          cause: engineError(400, 'invalid reference format'),
        }),
        'permanent',
      ],
      [
        'port held (500)',
        engineError(500, 'Bind for 0.0.0.0:80 failed: port is already allocated'),
        'transient',
      ],
      ['conflict (409)', engineError(409, 'removal of container x is already in progress'), 'transient'],
      ['engine unavailable (503)', engineError(503, 'service unavailable'), 'transient'],
      [
        'engine unreachable',
        Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }),
        'transient',
      ],
      ['connection cut', new Error('socket hang up'), 'transient'],
    ];
    for (const [name, err, want] of cases) assert.equal(startErrorKind(err), want, name);
  });

  it('transient retries back off exponentially, capped', () => {
    const policy = { attempts: 8, minMs: 500, maxMs: 8000 };
    const delays = [2, 3, 4, 5, 6, 7, 8].map((n) => startRetryDelayMs(policy, n));
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('the permanent marker is a suffix, added once, within the protocol limit', () => {
    const r = permanentStartFailure('image x is not present');
    assert.equal(r, `image x is not present${PERMANENT_START_FAILURE}`);
    assert.equal(permanentStartFailure(r), r);
    assert.ok(isPermanentStartFailure(`task t0 failed: ${r}`));
    assert.ok(!isPermanentStartFailure('exited with code 1'));
    assert.ok(!isPermanentStartFailure(null));
    assert.equal(permanentStartFailure('x'.repeat(5000)).length, 4096);
  });
});

describe('ControlState: permanent start failures', () => {
  function failedWith(reason: string): ControlState {
    const s = new ControlState();
    applyAll(s, [
      joinCmd('w1', 4),
      { kind: 'submit', at: 1, spec: jobSpec('a', [1, 1], { mode: 'on-failure', maxAttempts: 100 }) },
    ]);
    s.apply(planCmd(s, 2));
    s.apply({ kind: 'reports', at: 10, reports: [reportOf(s, 'a', 't1', 'running', 10)] });
    s.apply({
      kind: 'reports',
      at: 11,
      reports: [reportOf(s, 'a', 't0', 'failed', 11, { exitCode: null, reason })],
    });
    return s;
  }

  it('fail the job at once with the reason, whatever the restart policy allows; survivors are stopped', () => {
    const reason = permanentStartFailure(
      'image rswarm/missing:latest is not present and could not be pulled: no such host',
    );
    const s = failedWith(reason);
    const job = s.job('a');
    assert.equal(job?.state, 'failed');
    assert.equal(job?.attempt, 0, 'not re-queued');
    assert.equal(job?.failureReason, `task t0 failed: ${reason}`);
    assert.deepEqual(s.consistencyProblems(), []);
  });

  it('other failures are still re-queued under the restart policy', () => {
    const s = failedWith('port is already allocated');
    assert.equal(s.job('a')?.state, 'waiting');
    assert.equal(s.job('a')?.attempt, 1);
  });
});

/**
 * @module Retry-next-node through the whole control plane (in process, in-memory stores): worker
 * `a` runs a simulated runtime on which every start fails, worker `b` a healthy one. A job placed
 * on `a` (best-fit's lowest id) fails to start there, is re-queued, and its next attempt goes to
 * `b`, where it runs; the worker `a` is in the leader's failure table for the job's group.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerLinkOptions } from '../../cli/worker-link.js';
import { systemClock } from '../../core/clock/clock.js';
import { silentLogger } from '../../core/log/logger.js';
import type { TaskAssignment } from '../../core/protocol/messages.js';
import { SIM_START_ERROR_ENV, SimulatedRuntime } from '../../worker/simulated-runtime.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import { startCluster, waitFor } from '../support/control-plane-harness.js';

/** A simulated runtime whose every start fails, as an engine refusing this host would. */
class FailingStartsRuntime extends SimulatedRuntime {
  starts = 0;

  override start(a: TaskAssignment): Promise<void> {
    this.starts++;
    return super.start({ ...a, env: { ...a.env, [SIM_START_ERROR_ENV]: 'no such device on worker a' } });
  }
}

test('a task whose start fails on worker a is placed on worker b next', async () => {
  const cluster = await startCluster({ workers: [{ workerId: 'b', coreIds: [0, 1, 2, 3] }] });
  const runtime = new FailingStartsRuntime(systemClock);
  const a = WorkerAgent.create(
    {
      workerId: 'a',
      managerEndpoint: cluster.config.cluster.managerEndpoint,
      discoveryEndpoint: cluster.config.cluster.discoveryEndpoint,
      heartbeatIntervalMs: 200,
      runtime: 'simulated',
      coreIds: [0, 1, 2, 3],
      memoryBytes: 4 * 1024 ** 3,
      ...workerLinkOptions(cluster.config, 'a'),
    },
    { runtime, clock: systemClock, logger: silentLogger() },
  );
  try {
    await a.run();
    await waitFor(
      'both workers ready',
      async () => {
        const res = await cluster.api('GET', '/api/v1/workers');
        const ready = (res.body as { id: string; state: string }[] | undefined)?.filter(
          (w) => w.state === 'ready',
        );
        return ready?.length === 2 ? true : undefined;
      },
      10_000,
    );
    const submitted = await cluster.api('POST', '/api/v1/jobs', {
      name: 'flaky',
      tasks: [{ name: 't0', image: 'busybox', cores: 2, memory: '64m' }],
      restartPolicy: { mode: 'on-failure', maxAttempts: 3 },
    });
    assert.equal(submitted.status, 202, submitted.text);
    const job = await waitFor(
      'the job to run',
      async () => {
        const res = await cluster.api('GET', '/api/v1/jobs/flaky');
        const body = res.body as {
          state: string;
          failureReason: string | null;
          tasks: { worker: string | null; attempts: number }[];
        };
        return body?.state === 'running' ? body : undefined;
      },
      15_000,
    );
    assert.equal(runtime.starts, 1, 'one start tried on a');
    assert.equal(job.tasks[0]?.attempts, 2, 'the second attempt runs');
    assert.equal(job.tasks[0]?.worker, 'b');
    assert.equal(job.failureReason, 'task t0 failed: no such device on worker a');
    const failures = cluster.plane.jobManager?.leader.view()?.startFailures.get('a', 'flaky');
    assert.equal(failures?.failures, 1);
  } finally {
    await a.close();
    await cluster.close();
  }
});

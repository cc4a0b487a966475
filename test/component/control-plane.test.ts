/**
 * @module The control plane end to end in process: in-memory store and queue, real ZeroMQ on
 * loopback, simulated workers. Waiting with a reason, capacity freed by nudges (no busy loop),
 * failures under restart policies, cancellation, strategy switches, worker loss.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';

function nativeJob(
  name: string,
  tasks: { cores: number; run: number; env?: Record<string, string> }[],
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    tasks: tasks.map((t, i) => ({
      name: `t${i + 1}`,
      image: 'busybox',
      cores: t.cores,
      memory: '64m',
      runSeconds: t.run,
      ...(t.env ? { env: t.env } : {}),
    })),
    ...extra,
  };
}

async function jobState(c: Cluster, name: string, state: string, timeoutMs = 15_000): Promise<any> {
  return waitFor(
    `${name} to be ${state}`,
    async () => {
      const r = await c.api('GET', `/api/v1/jobs/${name}`);
      return r.body?.state === state ? r.body : undefined;
    },
    timeoutMs,
  );
}

describe('control plane (simulated workers)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({
      workers: [{ workerId: 'w1', coreIds: [0, 1, 2, 3] }],
      // A short settle delay: a job that can never fit fails soon after the worker joined.
      overrides: { scheduler: { neverFitsSettleMs: 500 } },
    });
    await waitFor('worker to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
    );
  });
  after(async () => c.close());

  test('a job that does not fit waits with a reason and runs once capacity frees, without busy polling', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', nativeJob('big', [{ cores: 4, run: 1 }]))).status, 202);
    await jobState(c, 'big', 'running');
    assert.equal(
      (await c.api('POST', '/api/v1/jobs', nativeJob('small', [{ cores: 2, run: 0.1 }]))).status,
      202,
    );
    const waiting = await waitFor('an unplaced reason', async () => {
      const r = await c.api('GET', '/api/v1/jobs/small');
      return r.body?.unplacedReason ? r.body : undefined;
    });
    assert.equal(waiting.state, 'waiting');
    assert.match(waiting.unplacedReason, /2 cores/);
    assert.match(waiting.unplacedReason, /1 worker/);
    const roundsWhileWaiting = c.plane.jobManager?.leader.stats.rounds ?? 0;
    const done = await jobState(c, 'small', 'finished');
    const big = await jobState(c, 'big', 'finished');
    assert.ok(
      Date.parse(done.startedAt) >= Date.parse(big.finishedAt),
      'small ran after big freed its cores',
    );
    // Rounds are driven by events: submit, worker join, capacity freed. A 0.1 s spin would be ~10 per second.
    const rounds = (c.plane.jobManager?.leader.stats.rounds ?? 0) - roundsWhileWaiting;
    assert.ok(rounds <= 6, `${rounds} scheduling rounds while one job waited ~1 s`);
    const consistency = await c.api('GET', '/api/v1/manager/consistency');
    assert.deepEqual(consistency.body, { ok: true, problems: [] });
    const samples = await c.plane.stores.usage.range('w1', 0, Date.now() + 1);
    assert.ok(
      samples.some((u) => u.usedCores === 4 && u.tasks === 1),
      'a utilisation sample saw the big job',
    );
  });

  test('a job bigger than any worker fails fast with the reason', async () => {
    await c.api('POST', '/api/v1/jobs', nativeJob('huge', [{ cores: 64, run: 1 }]));
    const j = await jobState(c, 'huge', 'failed');
    assert.match(j.failureReason, /never/i);
    assert.doesNotMatch(j.failureReason, /judged final/, 'the failure gives the reason, not the delay');
    assert.equal(j.failureCode, 'NEVER_FITS');
  });

  test('a gang whose tasks each fit a worker but never together fails fast, saying why (issue 14)', async () => {
    // w1 has 4 cores: each 3-core task fits it, both at once never do.
    await c.api(
      'POST',
      '/api/v1/jobs',
      nativeJob('pair', [
        { cores: 3, run: 1 },
        { cores: 3, run: 1 },
      ]),
    );
    const j = await jobState(c, 'pair', 'failed');
    assert.equal(
      j.failureReason,
      'can never be placed: job pair needs 2 tasks of 3 and 3 cores (128 MiB in all) as one gang: ' +
        'more than the cluster has in all (4 cores and 4 GiB on 1 worker); the cluster can never run it',
    );
    assert.equal(j.failureCode, 'GANG_NEVER_FITS');
    assert.equal(
      j.tasks.every((t: { state: string }) => t.state !== 'running'),
      true,
    );
  });

  test('a failing task is retried under on-failure, then the job fails with which task and why', async () => {
    await c.api(
      'POST',
      '/api/v1/jobs',
      nativeJob('flaky', [{ cores: 1, run: 0.05, env: { RSWARM_SIM_EXIT_CODE: '3' } }], {
        restartPolicy: { mode: 'on-failure', maxAttempts: 2 },
      }),
    );
    const j = await jobState(c, 'flaky', 'failed');
    assert.equal(j.tasks[0].attempts, 3, 'first run plus two retries');
    assert.match(j.failureReason, /t1/);
    assert.equal(j.failureCode, 'TASK_FAILED');
    assert.equal(j.tasks[0].exitCode, 3);
    await c.api(
      'POST',
      '/api/v1/jobs',
      nativeJob('once', [{ cores: 1, run: 0.05, env: { RSWARM_SIM_EXIT_CODE: '1' } }], {
        restartPolicy: { mode: 'never' },
      }),
    );
    const once = await jobState(c, 'once', 'failed');
    assert.equal(once.tasks[0].attempts, 1);
  });

  test('cancel stops a running job and frees its cores', async () => {
    await c.api(
      'POST',
      '/api/v1/jobs',
      nativeJob('forever', [
        { cores: 2, run: 600 },
        { cores: 1, run: 600 },
      ]),
    );
    await jobState(c, 'forever', 'running');
    assert.equal((await c.api('DELETE', '/api/v1/jobs/forever')).status, 202);
    const j = await jobState(c, 'forever', 'cancelled');
    assert.ok(j.tasks.every((t: any) => t.state === 'cancelled'));
    const w = await waitFor('cores freed', async () => {
      const r = await c.api('GET', '/api/v1/workers/w1');
      return r.body.freeCores.length === 4 ? r.body : undefined;
    });
    assert.equal(w.tasks.length, 0);
    assert.equal((await c.api('DELETE', '/api/v1/jobs/forever')).body.error.code, 'JOB_FINISHED');
  });

  test('switching strategy keeps every waiting job', async () => {
    await c.api('POST', '/api/v1/jobs', nativeJob('blocker', [{ cores: 4, run: 1.5 }]));
    await jobState(c, 'blocker', 'running');
    for (let i = 0; i < 20; i++)
      await c.api('POST', '/api/v1/jobs', nativeJob(`q${i}`, [{ cores: 1, run: 0.05 }]));
    assert.equal(
      (await c.api('PUT', '/api/v1/scheduler', { strategy: 'first-fit-decreasing' })).body.strategy,
      'first-fit-decreasing',
    );
    assert.equal((await c.api('GET', '/RESTfulSwarm/FE/switch_scheduler/worst-fit')).text, 'OK');
    assert.equal((await c.api('GET', '/api/v1/scheduler')).body.strategy, 'worst-fit');
    for (let i = 0; i < 20; i++) await jobState(c, `q${i}`, 'finished');
  });

  test('a lost worker re-queues its jobs elsewhere', async () => {
    await c.addWorker({ workerId: 'w2', coreIds: [0, 1, 2, 3] });
    await waitFor('w2 ready', async () =>
      (await c.api('GET', '/api/v1/workers/w2')).body?.state === 'ready' ? true : undefined,
    );
    await c.api('PUT', '/api/v1/scheduler', { strategy: 'best-fit' });
    await c.api('POST', '/api/v1/jobs', {
      name: 'pinned',
      tasks: [{ name: 't1', image: 'busybox', cores: 1, memory: '8m', runSeconds: 2, node: 'w2' }],
    });
    await c.api('POST', '/api/v1/jobs', nativeJob('mover', [{ cores: 3, run: 2 }]));
    const placed = await jobState(c, 'mover', 'running');
    const victim = c.workers.find((_w, i) => ['w1', 'w2'][i] === placed.tasks[0].worker);
    assert.ok(victim, 'found the worker to stop');
    // Simulate a crash: close the agent without leaving (tasks stay, heartbeats stop).
    await victim.close();
    const j = await jobState(c, 'mover', 'finished', 20_000);
    assert.notEqual(j.tasks[0].worker, placed.tasks[0].worker);
    assert.equal(j.tasks[0].attempts, 2);
    const lost = await c.api('GET', `/api/v1/workers/${placed.tasks[0].worker}`);
    assert.equal(lost.body.state, 'lost');
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  });
});

describe('control plane: workers sharing one host (cpusets not starting at 0)', () => {
  let c: Cluster;
  before(async () => {
    // As the all-in-one command on a 2-core machine: one agent per core, "0" and "1".
    c = await startCluster({
      workers: [
        { workerId: 'w1', coreIds: [0] },
        { workerId: 'w2', coreIds: [1] },
      ],
      overrides: { scheduler: { neverFitsSettleMs: 500 } },
    });
    await waitFor('both workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
  });
  after(async () => c.close());

  test('a 2-core task fails at once as more than any worker has, not "fewer free cores" forever', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', nativeJob('two', [{ cores: 2, run: 1 }]))).status, 202);
    const j = await jobState(c, 'two', 'failed', 5_000);
    assert.match(
      j.failureReason,
      /needs 2 cores.*more than any worker has in total: 2 workers have fewer cores in total/,
    );
    assert.doesNotMatch(j.failureReason, /free cores/);
  });

  test('a 1-core task still runs on the worker whose only core is 1, on core 1', async () => {
    await c.api('POST', '/api/v1/jobs', {
      name: 'one',
      tasks: [{ name: 't1', image: 'busybox', cores: 1, memory: '8m', runSeconds: 0.1, node: 'w2' }],
    });
    const j = await jobState(c, 'one', 'finished');
    assert.equal(j.tasks[0].worker, 'w2');
    assert.equal(j.tasks[0].cpuset, '1');
  });

  test('a task pinned to core 0 on the worker whose only core is 1 fails, naming its core', async () => {
    const res = await c.api('POST', '/api/v1/jobs', {
      name: 'not-mine',
      tasks: [
        { name: 't1', image: 'busybox', cores: 1, memory: '8m', runSeconds: 0.1, node: 'w2', cpuset: '0' },
      ],
    });
    assert.equal(res.status, 202, res.text);
    const j = await jobState(c, 'not-mine', 'failed', 5_000);
    assert.match(j.failureReason, /task t1 pins core 0 on worker w2, which has only core 1$/);
    assert.equal(j.failureCode, 'PIN_CORE_OUT_OF_RANGE');
  });
});

describe('control plane: scheduler.neverFits "wait" keeps a job no worker can hold', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({
      workers: [{ workerId: 'small', coreIds: [0, 1] }],
      overrides: { scheduler: { neverFitsSettleMs: 200, neverFits: 'wait' } },
    });
    await waitFor('the worker to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
    );
  });
  after(async () => c.close());

  test('it waits past the settle delay with its reason, and runs once a big enough worker joins', async () => {
    assert.equal(
      (await c.api('POST', '/api/v1/jobs', nativeJob('big', [{ cores: 4, run: 0.2 }]))).status,
      202,
    );
    const waiting = await waitFor('a reason', async () => {
      const j = (await c.api('GET', '/api/v1/jobs/big')).body;
      return j?.unplacedReason ? j : undefined;
    });
    // Well past the 200 ms delay: still waiting, not failed.
    await new Promise((r) => setTimeout(r, 1_000));
    const later = (await c.api('GET', '/api/v1/jobs/big')).body;
    assert.equal(later.state, 'waiting', JSON.stringify(later));
    for (const j of [waiting, later])
      assert.match(
        j.unplacedReason,
        /needs 4 cores.*more than any worker has in total.*; waits for a worker that can hold it \(scheduler\.neverFits is "wait"\)$/,
      );
    await c.addWorker({ workerId: 'big-one', coreIds: [0, 1, 2, 3] });
    const done = await jobState(c, 'big', 'finished');
    assert.equal(done.tasks[0].worker, 'big-one');
  });
});

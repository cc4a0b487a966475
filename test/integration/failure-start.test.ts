/**
 * @module Containers that cannot start, on real FerretDB, Redis and dockerd: a bad command and a
 * missing image fail the task with the engine's own words; both are permanent start errors, so
 * the job fails at once whatever its restart policy allows (container-hardening-docker.test.ts
 * has the 100-attempt case); a surviving sibling is stopped, and every core, byte and container
 * is freed. The no-retry missing-image case is in control-plane-docker.test.ts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import Docker from 'dockerode';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { SERVICES, removeContainerIfPresent } from '../support/services.js';
import type { WorkerView } from '../support/api-views.js';

const run = randomUUID().slice(0, 8);
const docker = new Docker();
const hostCores = cpus().map((_c, i) => i);

async function finalJob(c: Cluster, name: string): Promise<any> {
  return waitFor(
    `${name} to end`,
    async () => {
      const b = (await c.api('GET', `/api/v1/jobs/${name}`)).body;
      return b && ['finished', 'failed', 'cancelled'].includes(b.state) ? b : undefined;
    },
    60_000,
    100,
  );
}

async function requeues(c: Cluster, name: string): Promise<number> {
  const events = await c.plane.stores.events.list({ job: name, kind: 'job-requeued' }, 100);
  return events.length;
}

/** Cores, memory and containers of these jobs are all released. */
async function assertFreed(c: Cluster, jobs: readonly string[]): Promise<void> {
  await waitFor('bookings freed', async () => {
    const ws = (await c.api('GET', '/api/v1/workers')).body as WorkerView[];
    return ws.every((w) => (w.tasks ?? []).length === 0 && w.freeCores.length === w.totalCores)
      ? true
      : undefined;
  });
  for (const w of (await c.api('GET', '/api/v1/workers')).body as WorkerView[])
    assert.equal(w.freeMemoryBytes, w.totalMemoryBytes, `${w.id}: memory freed`);
  await waitFor('containers removed', async () => {
    for (const j of jobs) {
      const left = await docker.listContainers({ all: true, filters: { label: [`rswarm.job=${j}`] } });
      if (left.length > 0) return undefined;
    }
    return true;
  });
  assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
}

describe('containers that fail to start (Docker workers)', () => {
  let c: Cluster;
  const jobs: string[] = [];
  before(async () => {
    c = await startCluster({
      realBackends: true,
      workers: ['a', 'b'].map((x) => ({
        workerId: `start-${run}-${x}`,
        runtime: 'docker' as const,
        coreIds: hostCores,
        memoryBytes: 256 * 1024 ** 2,
        // No registry is reachable here: fail the pull quickly rather than after a minute.
        pullTimeoutMs: 5000,
      })),
    });
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
  });
  after(async () => {
    // Always close the cluster: an open one keeps this test file's process alive.
    try {
      for (const j of jobs) {
        for (const info of await docker.listContainers({
          all: true,
          filters: { label: [`rswarm.job=${j}`] },
        }))
          await removeContainerIfPresent(docker.getContainer(info.Id));
      }
    } finally {
      await c.close();
    }
  });

  test('a bad command fails the task with the engine’s reason and, being permanent, the job at once', async () => {
    const name = `start-${run}-badcmd`;
    jobs.push(name);
    const res = await c.api('POST', '/api/v1/jobs', {
      name,
      restartPolicy: { mode: 'on-failure', maxAttempts: 1 },
      tasks: [
        { name: 't1', image: SERVICES.testImage, cores: 1, memory: '16m', command: 'rswarm-no-such-binary' },
      ],
    });
    assert.equal(res.status, 202, res.text);
    const j = await finalJob(c, name);
    assert.equal(j.state, 'failed');
    assert.equal(j.tasks[0].attempts, 1, 'a permanent start error is not retried');
    assert.equal(await requeues(c, name), 0);
    // Docker's words: exec: "rswarm-no-such-binary": executable file not found in $PATH
    assert.match(j.tasks[0].reason, /rswarm-no-such-binary.*(not found|no such file)/i);
    assert.match(j.failureReason, /task t1 failed: .*rswarm-no-such-binary/);
    await assertFreed(c, [name]);
  });

  test('a missing image fails with the pull error and, being permanent, the job at once', async () => {
    const name = `start-${run}-noimage`;
    jobs.push(name);
    const res = await c.api('POST', '/api/v1/jobs', {
      name,
      restartPolicy: { mode: 'on-failure', maxAttempts: 1 },
      tasks: [{ name: 't1', image: `rswarm/missing-${run}:latest`, cores: 1, memory: '16m' }],
    });
    assert.equal(res.status, 202, res.text);
    const j = await finalJob(c, name);
    assert.equal(j.state, 'failed');
    assert.equal(j.tasks[0].attempts, 1);
    assert.equal(await requeues(c, name), 0);
    assert.match(
      j.tasks[0].reason,
      new RegExp(`image rswarm/missing-${run}:latest is not present and could not be pulled: .+`),
    );
    await assertFreed(c, [name]);
  });

  test('a start failure with restart never fails the job at once and stops its running sibling', async () => {
    const name = `start-${run}-sibling`;
    jobs.push(name);
    const res = await c.api('POST', '/api/v1/jobs', {
      name,
      restartPolicy: { mode: 'never' },
      tasks: [
        { name: 'good', image: SERVICES.testImage, cores: 1, memory: '16m', command: 'sleep 60' },
        { name: 'bad', image: SERVICES.testImage, cores: 1, memory: '16m', command: 'rswarm-no-such-binary' },
      ],
    });
    assert.equal(res.status, 202, res.text);
    const j = await finalJob(c, name);
    assert.equal(j.state, 'failed');
    assert.equal(await requeues(c, name), 0);
    assert.match(j.failureReason, /task bad failed: .*rswarm-no-such-binary/);
    // The sibling is stopped by the control plane, long before its 60 s end.
    const settled = await waitFor('the sibling stopped', async () => {
      const b = (await c.api('GET', `/api/v1/jobs/${name}`)).body;
      const good = b.tasks.find((t: any) => t.name === 'good');
      return ['failed', 'cancelled', 'finished'].includes(good.state) ? b : undefined;
    });
    assert.notEqual(settled.tasks.find((t: any) => t.name === 'good').state, 'finished');
    await assertFreed(c, [name]);
  });
});

/**
 * @module The original sample job, POSTed to the original route, runs as Docker containers with
 * the cpusets and memory limits the plan chose, on real MongoDB (FerretDB), Redis and dockerd.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { cpus } from 'node:os';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { sampleJob, T1, T2 } from '../support/sample-job.js';
import { SERVICES } from '../support/services.js';

describe('control plane on real services with Docker workers', () => {
  let c: Cluster;
  const docker = new Docker();
  const hostCores = cpus().map((_c, i) => i);

  before(async () => {
    // Two agents on one engine: each hands out every host core from its own books.
    c = await startCluster({
      realBackends: true,
      verbose: process.env['RSWARM_TEST_VERBOSE'] === '1',
      workers: [
        { workerId: 'dock-a', runtime: 'docker', coreIds: hostCores, memoryBytes: 512 * 1024 ** 2 },
        { workerId: 'dock-b', runtime: 'docker', coreIds: hostCores, memoryBytes: 512 * 1024 ** 2 },
      ],
    });
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
  });
  after(async () => c.close());

  test('sample job: containers get the plan’s cpuset and memory, the job finishes, cores are free again', async () => {
    const doc = sampleJob();
    // The sample names the public "busybox"; no registry is reachable, so use the local image.
    for (const t of [T1, T2]) doc['job_info'].tasks[t].image = SERVICES.testImage;
    doc['job_info'].tasks[T1].command = 'sleep 3';
    doc['job_info'].tasks[T2].command = 'sleep 3';
    const res = await c.api('POST', '/RESTfulSwarm/FE/request_new_job', doc);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'OK');
    const name = doc['job_name'] as string;
    const running = await waitFor(
      'job running',
      async () => {
        const j = (await c.api('GET', `/api/v1/jobs/${name}`)).body;
        return j?.tasks.every((t: any) => t.state === 'running') ? j : undefined;
      },
      30_000,
    );
    for (const task of running.tasks) {
      const info = await docker.getContainer(task.name).inspect();
      assert.equal(info.HostConfig.CpusetCpus, task.cpuset, `${task.name} cpuset`);
      assert.equal(info.HostConfig.Memory, task.memoryBytes, `${task.name} memory`);
      assert.equal(info.Config.Labels?.['rswarm.worker'], task.worker);
    }
    assert.deepEqual(
      running.tasks.map((t: any) => t.memoryBytes),
      [50 * 1024 ** 2, 20 * 1024 ** 2],
    );
    const done = await waitFor(
      'job finished',
      async () => {
        const j = (await c.api('GET', `/api/v1/jobs/${name}`)).body;
        return j?.state === 'finished' ? j : undefined;
      },
      30_000,
    );
    assert.equal(done.originalStatus, 'Down');
    assert.ok(done.tasks.every((t: any) => t.exitCode === 0));
    const times = ['submittedAt', 'scheduledAt', 'startedAt', 'finishedAt'].map((k) => Date.parse(done[k]));
    assert.deepEqual(
      [...times].sort((a, b) => a - b),
      times,
      `timestamps ordered: ${JSON.stringify(times)}`,
    );
    const workers = await waitFor('cores free', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body;
      return ws.every((w: any) => w.freeCores.length === hostCores.length && w.tasks.length === 0)
        ? ws
        : undefined;
    });
    assert.equal(workers.length, 2);
    await waitFor('containers removed', async () => {
      const left = await docker.listContainers({ all: true, filters: { label: [`rswarm.job=${name}`] } });
      return left.length === 0 ? true : undefined;
    });
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  });

  test('a task whose container cannot start fails the job with the engine’s reason', async () => {
    const res = await c.api('POST', '/api/v1/jobs', {
      name: 'no-image',
      restartPolicy: { mode: 'never' },
      tasks: [{ name: 't1', image: 'rswarm/does-not-exist:latest', cores: 1, memory: '16m' }],
    });
    assert.equal(res.status, 202);
    const j = await waitFor(
      'job failed',
      async () => {
        const b = (await c.api('GET', '/api/v1/jobs/no-image')).body;
        return b?.state === 'failed' ? b : undefined;
      },
      60_000,
    );
    assert.match(j.failureReason, /does-not-exist|pull|no such/i);
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
  });
});

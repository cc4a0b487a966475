/**
 * @module Task operations on real FerretDB, Redis and dockerd: a running container migrates
 * between two worker agents with disjoint cpusets (read back from Docker), is updated in place
 * (cpuset and memory read back), checkpointed (or refused, exactly as the engine itself answers),
 * and a drained worker's tasks move away before the worker is removed. The books balance after
 * every step.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { SERVICES, uniqueName } from '../support/services.js';

const MiB = 1024 ** 2;

describe('task operations with Docker workers', () => {
  let c: Cluster;
  const docker = new Docker();
  const run = uniqueName('ops').replace(/-/g, '');
  // Two agents with disjoint cores, and a third that may hand out both (one engine, own books).
  const [A, B, C] = ['a', 'b', 'c'].map((x) => `${run}-${x}`) as [string, string, string];
  const jobs: string[] = [];

  const submit = async (name: string): Promise<void> => {
    jobs.push(name);
    const res = await c.api('POST', '/api/v1/jobs', {
      name,
      tasks: [{ name: 't1', image: SERVICES.testImage, command: ['sleep', '300'], cores: 1, memory: '32m' }],
    });
    assert.equal(res.status, 202, res.text);
  };
  const runningTask = async (name: string): Promise<any> =>
    waitFor(
      `${name} running`,
      async () => {
        const t = (await c.api('GET', `/api/v1/jobs/${name}`)).body?.tasks[0];
        return t?.state === 'running' ? t : undefined;
      },
      30_000,
    );
  const containerOf = async (job: string): Promise<Docker.ContainerInspectInfo> => {
    const [info] = await docker.listContainers({
      filters: { label: [`rswarm.job=${job}`], status: ['running'] },
    });
    assert.ok(info, `a running container of ${job}`);
    return docker.getContainer(info.Id).inspect();
  };
  const consistent = async (): Promise<void> =>
    assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });

  before(async () => {
    c = await startCluster({
      realBackends: true,
      verbose: process.env['RSWARM_TEST_VERBOSE'] === '1',
      workers: [
        { workerId: A, runtime: 'docker', coreIds: [0], memoryBytes: 256 * MiB },
        { workerId: B, runtime: 'docker', coreIds: [1], memoryBytes: 256 * MiB },
      ],
    });
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
  });
  after(async () => {
    for (const j of jobs) await c.api('DELETE', `/api/v1/jobs/${j}`);
    await waitFor(
      'containers removed',
      async () => {
        const left = await docker.listContainers({ all: true, filters: { label: [`rswarm.worker`] } });
        return left.some((x) => [A, B, C].includes(x.Labels['rswarm.worker'] ?? '')) ? undefined : true;
      },
      30_000,
    ).catch(() => undefined);
    await c.close();
  });

  test('migrate: the container runs on the target with the target’s cpuset; resources move', async () => {
    const job = `${run}-mig`;
    await submit(job);
    const before = await runningTask(job);
    const source = before.worker as string;
    const target = source === A ? B : A;
    const old = await containerOf(job);
    assert.equal(old.HostConfig.CpusetCpus, before.cpuset);
    const res = await c.api('POST', `/api/v1/tasks/${job}_t1/migrate`, { to: target });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      {
        mode: res.body.mode,
        from: res.body.from,
        to: res.body.to,
        running: res.body.running,
        error: res.body.error,
      },
      { mode: 'cold', from: source, to: target, running: true, error: null },
    );
    const moved = await containerOf(job);
    assert.notEqual(moved.Id, old.Id);
    assert.equal(moved.Config.Labels['rswarm.worker'], target);
    assert.equal(moved.HostConfig.CpusetCpus, target === A ? '0' : '1');
    assert.equal(moved.HostConfig.CpusetCpus, res.body.cpuset);
    assert.equal(moved.HostConfig.Memory, 32 * MiB);
    await waitFor('source container removed', async () => {
      try {
        await docker.getContainer(old.Id).inspect();
        return undefined;
      } catch {
        return true;
      }
    });
    const workers = new Map<string, any>(
      (await c.api('GET', '/api/v1/workers')).body.map((w: any) => [w.id, w]),
    );
    assert.deepEqual(workers.get(target).tasks, [`${job}/t1`]);
    assert.deepEqual(workers.get(source).tasks, []);
    assert.equal((await c.api('GET', `/api/v1/jobs/${job}`)).body.tasks[0].state, 'running');
    await consistent();
  });

  test('update: cpuset and memory change in place, read back from Docker', async () => {
    await c.addWorker({ workerId: C, runtime: 'docker', coreIds: [0, 1], memoryBytes: 256 * MiB });
    await waitFor('third worker', async () =>
      (await c.api('GET', `/api/v1/workers/${C}`)).body?.state === 'ready' ? true : undefined,
    );
    const job = `${run}-upd`;
    await submit(job);
    const t = await runningTask(job);
    if (t.worker !== C) {
      const m = await c.api('POST', `/api/v1/tasks/${job}_t1/migrate`, { to: C });
      assert.equal(m.status, 200, m.text);
    }
    const current = (await c.api('GET', `/api/v1/jobs/${job}`)).body.tasks[0].cpuset as string;
    const next = current === '0' ? '1' : '0';
    const res = await c.api('POST', `/api/v1/tasks/${job}_t1/update`, { cpuset: next, memory: '48m' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.cpuset, next);
    assert.equal(res.body.memoryBytes, 48 * MiB);
    const info = await containerOf(job);
    assert.equal(info.HostConfig.CpusetCpus, next);
    assert.equal(info.HostConfig.Memory, 48 * MiB);
    const w = (await c.api('GET', `/api/v1/workers/${C}`)).body;
    assert.deepEqual(w.freeCores, [Number(current)]);
    await consistent();
  });

  test('checkpoint: created when the engine can, else 501 CHECKPOINT_UNSUPPORTED — as the engine answers a probe', async () => {
    const job = `${run}-upd`;
    // The engine's own answer, asked directly: a probe container checkpointed and left running.
    const probe = await docker.createContainer({
      name: `${run}-ckprobe`,
      Image: SERVICES.testImage,
      Cmd: ['sleep', '60'],
      Labels: { 'rswarm.test': run },
    });
    let engineCan: boolean;
    try {
      await probe.start();
      await (probe as unknown as { createCheckpoint(o: object): Promise<unknown> }).createCheckpoint({
        CheckpointID: 'probe',
        Exit: false,
      });
      engineCan = true;
    } catch {
      engineCan = false;
    } finally {
      await probe.remove({ force: true });
    }
    const res = await c.api('POST', `/api/v1/tasks/${job}_t1/checkpoint`);
    if (engineCan) {
      assert.equal(res.status, 201, res.text);
      const info = await containerOf(job);
      assert.equal(info.State.Running, true, 'the task keeps running');
      const list = (await (
        docker.getContainer(info.Id) as unknown as { listCheckpoint(o: object): Promise<{ Name: string }[]> }
      ).listCheckpoint({})) as { Name: string }[];
      assert.ok(
        list.some((x) => x.Name === res.body.checkpoint),
        `${res.body.checkpoint} in ${JSON.stringify(list)}`,
      );
    } else {
      assert.equal(res.status, 501, res.text);
      assert.equal(res.body.error.code, 'CHECKPOINT_UNSUPPORTED');
      assert.match(res.body.error.message, /cannot checkpoint/);
    }
    await consistent();
  });

  test('drain with migrate moves every task away; the empty worker is then removed', async () => {
    const job = `${run}-drn`;
    await submit(job);
    const t = await runningTask(job);
    const w = t.worker as string;
    const busy = await c.api('DELETE', `/api/v1/workers/${w}`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'WORKER_BUSY');
    const drained = await c.api('POST', `/api/v1/workers/${w}/drain`, { migrate: true });
    assert.equal(drained.status, 200, drained.text);
    assert.equal(drained.body.state, 'draining');
    assert.deepEqual(drained.body.tasks, []);
    assert.ok(drained.body.migrations.length >= 1);
    for (const m of drained.body.migrations) {
      assert.equal(m.error, null, JSON.stringify(m));
      assert.equal(m.running, true);
      assert.notEqual(m.to, w);
    }
    // The source's copy is stopped in parallel with the target's start (SIGTERM, then SIGKILL).
    await waitFor('nothing left on the drained worker', async () => {
      const left = await docker.listContainers({ all: true, filters: { label: [`rswarm.worker=${w}`] } });
      return left.length === 0 ? true : undefined;
    });
    const info = await containerOf(job);
    assert.notEqual(info.Config.Labels['rswarm.worker'], w);
    const removed = await c.api('DELETE', `/api/v1/workers/${w}`);
    assert.equal(removed.status, 202, removed.text);
    assert.equal(removed.body.state, 'left');
    await consistent();
  });
});

/**
 * @module Node-pinned one-task jobs end to end on Docker workers (real FerretDB, Redis, dockerd):
 * native `node` and the original `node` + `cpuset_cpus` run where they are pinned, with exactly
 * that cpuset read back from Docker; a pin to an unknown, a draining or a busy node waits with a
 * readable reason and runs once the node can take it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { removeWorkerLeftovers } from '../support/docker-leftovers.js';
import { SERVICES } from '../support/services.js';

const run = randomUUID().slice(0, 8);
const A = `pin-${run}-a`;
const B = `pin-${run}-b`;
const docker = new Docker();

const oneTask = (name: string, task: Record<string, unknown>) => ({
  name,
  tasks: [{ name: 't', image: SERVICES.testImage, cores: 1, memory: '16m', command: 'sleep 2', ...task }],
});

async function jobBody(c: Cluster, name: string): Promise<any> {
  return (await c.api('GET', `/api/v1/jobs/${name}`)).body;
}

async function until(c: Cluster, name: string, ok: (j: any) => boolean, what: string): Promise<any> {
  return waitFor(
    `${name} ${what}`,
    async () => {
      const j = await jobBody(c, name);
      return j && ok(j) ? j : undefined;
    },
    45_000,
    100,
  );
}

/**
 * The books balance once the last reports are applied. Discovery writes a task's end before it
 * frees the booking, so right after "finished" a check may briefly see the booking unbacked.
 */
async function consistent(c: Cluster): Promise<void> {
  let last: unknown;
  await waitFor(
    'the books to balance',
    async () => {
      last = (await c.api('GET', '/api/v1/manager/consistency')).body;
      return (last as { ok?: boolean }).ok ? true : undefined;
    },
    5000,
  ).catch(() => undefined);
  assert.deepEqual(last, { ok: true, problems: [] });
}

describe('node-pinned one-task jobs on Docker workers', () => {
  let c: Cluster;
  before(async () => {
    // Two agents on one engine with disjoint cpusets, so a pin names exactly one host core.
    c = await startCluster({
      realBackends: true,
      workers: [
        { workerId: A, runtime: 'docker', coreIds: [0], memoryBytes: 256 * 1024 ** 2 },
        { workerId: B, runtime: 'docker', coreIds: [1], memoryBytes: 256 * 1024 ** 2 },
      ],
    });
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
  });
  after(async () => {
    // Always close the cluster: an open one keeps this test file's process alive.
    try {
      await removeWorkerLeftovers(docker, [A, B]);
    } finally {
      await c.close();
    }
  });

  test('native node pin: runs on that worker with its core, read back from Docker', async () => {
    const name = `pin-${run}-native`;
    assert.equal((await c.api('POST', '/api/v1/jobs', oneTask(name, { node: B }))).status, 202);
    const j = await until(c, name, (x) => x.tasks[0].state === 'running', 'running');
    assert.equal(j.tasks[0].worker, B);
    assert.equal(j.tasks[0].cpuset, '1');
    const info = await docker.getContainer(`${name}_t`).inspect();
    assert.equal(info.HostConfig.CpusetCpus, '1');
    assert.equal(info.Config.Labels?.['rswarm.worker'], B);
    await until(c, name, (x) => x.state === 'finished', 'finished');
    await consistent(c);
  });

  test('original node + cpuset_cpus on the original route: exactly that cpuset', async () => {
    const name = `pin-${run}-orig`;
    const task = `${name}_task1`;
    const res = await c.api('POST', '/RESTfulSwarm/FE/request_new_job', {
      job_name: name,
      job_info: {
        network: { name: `RESTfulSwarmNetwork_${name}`, driver: 'bridge' },
        tasks: {
          [task]: {
            container_name: task,
            node: A,
            image: SERVICES.testImage,
            detach: true,
            command: 'sleep 2',
            req_cores: 1,
            cpuset_cpus: '0',
            mem_limit: '20m',
            ports: {},
            volumes: {},
            environment: {},
            status: 'Ready',
          },
        },
      },
      status: 'Ready',
      start_time: 0,
      end_time: 0,
    });
    assert.equal(res.status, 200, res.text);
    const j = await until(c, name, (x) => x.tasks[0].state === 'running', 'running');
    assert.equal(j.tasks[0].worker, A);
    const info = await docker.getContainer(task).inspect();
    assert.equal(info.HostConfig.CpusetCpus, '0');
    assert.equal(info.HostConfig.Memory, 20 * 1024 ** 2);
    await until(c, name, (x) => x.state === 'finished', 'finished');
    await consistent(c);
  });

  test('a pin to an unknown node waits with the reason', async () => {
    const name = `pin-${run}-unknown`;
    assert.equal((await c.api('POST', '/api/v1/jobs', oneTask(name, { node: 'no-such-node' }))).status, 202);
    const j = await until(c, name, (x) => x.unplacedReason !== null || x.state === 'failed', 'refused');
    assert.match(
      j.unplacedReason ?? j.failureReason,
      /task t is pinned to worker "no-such-node", which is not in the cluster/,
    );
    assert.equal(j.tasks[0].worker, null);
    assert.equal((await c.api('DELETE', `/api/v1/jobs/${name}`)).status, 202);
    await until(c, name, (x) => x.state === 'cancelled', 'cancelled');
  });

  test('a pin to a draining node waits with the reason and runs after undrain', async () => {
    const name = `pin-${run}-drained`;
    assert.equal((await c.api('POST', `/api/v1/workers/${A}/drain`, {})).status, 200);
    assert.equal((await c.api('POST', '/api/v1/jobs', oneTask(name, { node: A }))).status, 202);
    const j = await until(c, name, (x) => x.unplacedReason !== null, 'unplaced');
    assert.equal(j.state, 'waiting');
    assert.match(j.unplacedReason, new RegExp(`task t is pinned to worker ${A}, which is not ready`));
    assert.equal((await c.api('POST', `/api/v1/workers/${A}/undrain`, {})).status, 200);
    const done = await until(c, name, (x) => x.state === 'finished', 'finished');
    assert.equal(done.tasks[0].worker, A);
    await consistent(c);
  });

  test('a pin to a busy core waits with the reason and runs when the core frees', async () => {
    const first = `pin-${run}-busy1`;
    const second = `pin-${run}-busy2`;
    assert.equal((await c.api('POST', '/api/v1/jobs', oneTask(first, { node: B, cpuset: '1' }))).status, 202);
    await until(c, first, (x) => x.tasks[0].state === 'running', 'running');
    assert.equal(
      (await c.api('POST', '/api/v1/jobs', oneTask(second, { node: B, cpuset: '1' }))).status,
      202,
    );
    const waiting = await until(c, second, (x) => x.unplacedReason !== null, 'unplaced');
    assert.equal(waiting.state, 'waiting');
    assert.match(waiting.unplacedReason, new RegExp(`task t pins core 1 on worker ${B}, but .+`));
    const a = await until(c, first, (x) => x.state === 'finished', 'finished');
    const b = await until(c, second, (x) => x.state === 'finished', 'finished');
    assert.equal(b.tasks[0].cpuset, '1');
    assert.ok(
      Date.parse(b.startedAt) >= Date.parse(a.finishedAt),
      'the second ran after the first freed core 1',
    );
    await consistent(c);
  });
});

/**
 * @module Two clusters on one Docker engine at once (issue 13, item 8): two control planes in this
 * process, each with a Docker worker called `local-1` (as every all-in-one has), get jobs of the
 * same names on networks of the same name. Each job runs to completion in its own cluster, each
 * cluster's containers and networks carry its cluster id, and what one cluster's worker lists,
 * removes and prunes leaves the other's alone. Unique cluster ids per run; everything made here is
 * removed at the end.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { systemClock } from '../../core/clock/clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment } from '../../core/protocol/index.js';
import type { RuntimeEvent } from '../../worker/container-runtime.js';
import { DockerRuntime, dockerClientFor } from '../../worker/docker-runtime.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { removeClusterLeftovers } from '../support/docker-leftovers.js';
import { SERVICES } from '../support/services.js';

const MiB = 1024 ** 2;
const docker = dockerClientFor(SERVICES.dockerHost);

interface JobView {
  state: string;
  tasks: { name: string; state: string; worker: string | null }[];
}

describe('two clusters on one Docker engine', { timeout: 240_000 }, () => {
  const run = randomUUID().slice(0, 8);
  const ids = [`it-a-${run}`, `it-b-${run}`];
  const clusters: Cluster[] = [];
  /** Same job and network names in both clusters. */
  const jobName = (i: number): string => `twin-${run}-${i}`;
  const netName = `twin-net-${run}`;

  before(async () => {
    for (const id of ids) {
      clusters.push(
        await startCluster({
          overrides: { cluster: { id } },
          workers: [{ workerId: 'local-1', runtime: 'docker', coreIds: [0], memoryBytes: 256 * MiB }],
        }),
      );
    }
    for (const c of clusters)
      await waitFor('worker joined', async () =>
        (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
      );
  });

  after(async () => {
    await Promise.all(clusters.map((c) => c.close()));
    await removeClusterLeftovers(docker, ids);
  });

  function submit(c: Cluster, i: number, command: string[]): Promise<{ status: number; text: string }> {
    return c.api('POST', '/api/v1/jobs', {
      name: jobName(i),
      restartPolicy: { mode: 'never' },
      network: { name: netName, driver: 'bridge' },
      tasks: [{ name: 't1', image: SERVICES.testImage, cores: 1, memory: '16m', command }],
    });
  }

  async function job(c: Cluster, name: string, states: readonly string[]): Promise<JobView> {
    let last = '';
    return waitFor(
      `${name} ${states.join('/')}`,
      async () => {
        const res = await c.api('GET', `/api/v1/jobs/${name}`);
        last = res.text;
        const j = res.body as JobView | undefined;
        return j && states.includes(j.state) ? j : undefined;
      },
      60_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen: ${last}`);
    });
  }

  async function containersOf(id: string, job: string): Promise<{ Id: string; State: string }[]> {
    return docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.cluster}=${id}`, `${LABELS.job}=${job}`] },
    });
  }

  test('jobs of the same names run in both clusters at once; neither loses a container or a network', async () => {
    // Long enough to overlap: both clusters' containers and networks exist at the same time.
    for (const c of clusters) {
      const res = await submit(c, 1, ['sh', '-c', 'sleep 4']);
      assert.equal(res.status, 202, res.text);
    }
    for (const c of clusters) await job(c, jobName(1), ['running']);
    const seen = await Promise.all(ids.map((id) => containersOf(id, jobName(1))));
    for (const [i, list] of seen.entries())
      assert.equal(list.length, 1, `cluster ${ids[i]} has its container`);
    const nets = (await docker.listNetworks({ filters: { label: [`${LABELS.job}=${jobName(1)}`] } })) as {
      Name: string;
      Labels: Record<string, string>;
    }[];
    assert.deepEqual(nets.map((n) => n.Labels[LABELS.cluster]).sort(), [...ids].sort(), 'one network each');
    for (const c of clusters) {
      const done = await job(c, jobName(1), ['finished', 'failed']);
      assert.equal(done.state, 'finished', JSON.stringify(done));
    }
    // Each worker pruned its own once acknowledged; nothing of either is left behind.
    for (const id of ids)
      await waitFor(`${id} pruned`, async () =>
        (await containersOf(id, jobName(1))).length === 0 ? true : undefined,
      );
  });

  test('containers carry their cluster id; one cluster removing and pruning leaves the other alone', async () => {
    const [a, b] = clusters as [Cluster, Cluster];
    const [idA, idB] = ids as [string, string];
    assert.equal((await submit(a, 2, ['sleep', '60'])).status, 202);
    assert.equal((await submit(b, 2, ['sleep', '60'])).status, 202);
    await job(a, jobName(2), ['running']);
    await job(b, jobName(2), ['running']);
    const [inA] = await containersOf(idA, jobName(2));
    const [inB] = await containersOf(idB, jobName(2));
    assert.ok(inA && inB, 'each cluster has its container');
    const infoB = await docker.getContainer(inB.Id).inspect();
    assert.equal(infoB.Config.Labels[LABELS.cluster], idB);
    assert.equal(infoB.Config.Labels[LABELS.worker], 'local-1');
    assert.equal((await docker.getContainer(inA.Id).inspect()).Config.Labels[LABELS.cluster], idA);

    // A runtime of cluster A with the same worker id lists only A's containers.
    const runtimeA = await DockerRuntime.create({
      workerId: 'local-1',
      clusterId: idA,
      docker,
      pullTimeoutMs: 5000,
      stopTimeoutSeconds: 1,
      clock: systemClock,
      logger: silentLogger(),
    });
    try {
      const listed = await runtimeA.list();
      assert.ok(listed.some((t) => t.ref.job === jobName(2)));
      assert.equal((await docker.getContainer(inB.Id).inspect()).State.Running, true);
      // Removing A's task (as a prune does) removes A's container only.
      await runtimeA.remove({ job: jobName(2), task: 't1', attempt: 0 });
    } finally {
      await runtimeA.close();
    }
    assert.equal((await containersOf(idA, jobName(2))).length, 0, "A's container removed");
    assert.equal((await docker.getContainer(inB.Id).inspect()).State.Running, true, "B's still runs");

    // Cancelling the job in A (stop, prune, network release) leaves B's job running.
    await a.api('DELETE', `/api/v1/jobs/${jobName(2)}`);
    await job(a, jobName(2), ['cancelled', 'failed', 'finished']);
    await new Promise((r) => setTimeout(r, 1000));
    const stillB = await job(b, jobName(2), ['running']);
    assert.equal(stillB.tasks[0]?.state, 'running');
    assert.equal((await docker.getContainer(inB.Id).inspect()).State.Running, true);
    const netsB = await docker.listNetworks({
      filters: { label: [`${LABELS.cluster}=${idB}`, `${LABELS.job}=${jobName(2)}`] },
    });
    assert.equal(netsB.length, 1, "B's network kept");
  });

  test('a name held by another cluster or by a container without a cluster label: never touched, ours is <name>.<id>', async () => {
    const [idA] = ids as [string, string];
    const name = `twin-${run}-legacy_t1`;
    // A container from before cluster ids: same worker id, no rswarm.cluster label.
    const legacy = await docker.createContainer({
      name,
      Image: SERVICES.testImage,
      Cmd: ['sleep', '60'],
      Labels: {
        [LABELS.job]: `twin-${run}-legacy`,
        [LABELS.task]: 't1',
        [LABELS.attempt]: '0',
        [LABELS.worker]: 'local-1',
        'rswarm.test.twin': run,
      },
    });
    const open = (): Promise<DockerRuntime> =>
      DockerRuntime.create({
        workerId: 'local-1',
        clusterId: idA,
        docker,
        pullTimeoutMs: 5000,
        stopTimeoutSeconds: 1,
        clock: systemClock,
        logger: silentLogger(),
      });
    const a: TaskAssignment = {
      job: `twin-${run}-legacy`,
      task: 't1',
      attempt: 0,
      containerName: name,
      image: SERVICES.testImage,
      command: ['sleep', '60'],
      coreIds: [0],
      memoryBytes: 16 * MiB,
      env: {},
      ports: [],
      volumes: [],
      network: null,
      runSeconds: null,
    };
    try {
      let runtime = await open();
      try {
        assert.deepEqual(await runtime.list(), [], 'the unlabelled container is not listed');
        const events: RuntimeEvent[] = [];
        runtime.onEvent((e) => events.push(e));
        await runtime.start(a);
        assert.equal(events.at(-1)?.state, 'running', JSON.stringify(events));
      } finally {
        await runtime.close();
      }
      const ours = await docker.getContainer(`${name}.${idA}`).inspect();
      assert.equal(ours.Config.Labels[LABELS.cluster], idA);
      assert.ok((await legacy.inspect()).Id, 'the unlabelled container is still there');
      // A restarted worker adopts its container under its own name: no second container.
      runtime = await open();
      try {
        await runtime.start(a);
        assert.equal((await containersOf(idA, a.job)).length, 1);
        await runtime.remove({ job: a.job, task: 't1', attempt: 0 });
      } finally {
        await runtime.close();
      }
      assert.equal((await containersOf(idA, a.job)).length, 0);
      assert.ok((await legacy.inspect()).Id, 'still there after our remove');
    } finally {
      await legacy.remove({ force: true }).catch(() => undefined);
    }
  });
});

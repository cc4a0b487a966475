/**
 * @module Job networks are not leaked on the real Docker engine. Each bridge network holds one of
 * the engine's default address pools (about 30), so a worker that leaves networks behind ends, a
 * few dozen jobs later, with every start failing "could not find an available, non-overlapping
 * IPv4 address pool". A start that fails before its container exists releases the network at
 * once; a starting worker removes what an earlier agent of its cluster left (it died between
 * removing the job's last container and its network), and nothing else. Unique cluster ids per
 * run; everything made here is removed at the end.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { systemClock } from '../../core/clock/clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment } from '../../core/protocol/index.js';
import type { RuntimeEvent } from '../../worker/container-runtime.js';
import { DockerRuntime, dockerClientFor } from '../../worker/docker-runtime.js';
import { waitFor } from '../support/control-plane-harness.js';
import { removeClusterLeftovers } from '../support/docker-leftovers.js';
import { SERVICES } from '../support/services.js';

const MiB = 1024 ** 2;
const docker = dockerClientFor(SERVICES.dockerHost);

describe('job networks on the real Docker engine', { timeout: 120_000 }, () => {
  const run = randomUUID().slice(0, 8);
  const ours = `it-net-a-${run}`;
  const theirs = `it-net-b-${run}`;
  const job = (what: string): string => `netgc-${run}-${what}`;

  const open = (): Promise<DockerRuntime> =>
    DockerRuntime.create({
      workerId: 'local-1',
      clusterId: ours,
      docker,
      pullTimeoutMs: 5000,
      stopTimeoutSeconds: 1,
      clock: systemClock,
      logger: silentLogger(),
    });

  const networkNamed = async (name: string): Promise<boolean> =>
    ((await docker.listNetworks({ filters: { name: [name] } })) as { Name: string }[]).some(
      (n) => n.Name === name,
    );

  after(async () => {
    await removeClusterLeftovers(docker, [ours, theirs]);
    await docker
      .getNetwork(`netgc-${run}-unlabelled`)
      .remove()
      .catch(() => undefined);
  });

  test('a container that cannot be created releases the job network it was given at once', async () => {
    const runtime = await open();
    try {
      const events: RuntimeEvent[] = [];
      runtime.onEvent((e) => events.push(e));
      const net = `netgc-${run}-refused`;
      const a: TaskAssignment = {
        job: job('refused'),
        task: 't1',
        attempt: 0,
        containerName: `${job('refused')}_t1`,
        image: SERVICES.testImage,
        command: ['true'],
        coreIds: [0],
        // Below the engine's 6 MB minimum: the create is refused, after the network was made.
        memoryBytes: 1 * MiB,
        env: {},
        ports: [],
        volumes: [],
        network: { name: net, driver: 'bridge' },
        runSeconds: null,
      };
      await runtime.start(a);
      await waitFor('the task to fail', () =>
        Promise.resolve(events.some((e) => e.state === 'failed') ? true : undefined),
      );
      assert.match(events.find((e) => e.state === 'failed')?.reason ?? '', /memory/i);
      assert.equal(await networkNamed(net), false, 'the network was removed with the failed start');
    } finally {
      await runtime.close();
    }
  });

  test("a starting worker removes its cluster's unused job networks, and only those", async () => {
    const labels = (cluster: string, what: string): Record<string, string> => ({
      [LABELS.job]: job(what),
      [LABELS.cluster]: cluster,
    });
    const made = {
      idle: `netgc-${run}-idle`,
      usedByExited: `netgc-${run}-exited`,
      otherCluster: `netgc-${run}-other`,
      unlabelled: `netgc-${run}-unlabelled`,
    };
    await docker.createNetwork({ Name: made.idle, Driver: 'bridge', Labels: labels(ours, 'idle') });
    await docker.createNetwork({ Name: made.usedByExited, Driver: 'bridge', Labels: labels(ours, 'exited') });
    await docker.createNetwork({
      Name: made.otherCluster,
      Driver: 'bridge',
      Labels: labels(theirs, 'other'),
    });
    await docker.createNetwork({ Name: made.unlabelled, Driver: 'bridge' });
    // A container of the job that never ran (not attached): its network must stay for a restart.
    await docker.createContainer({
      name: `${job('exited')}_t1`,
      Image: SERVICES.testImage,
      Cmd: ['true'],
      Labels: {
        ...labels(ours, 'exited'),
        [LABELS.task]: 't1',
        [LABELS.attempt]: '0',
        [LABELS.worker]: 'local-2',
      },
      HostConfig: { NetworkMode: made.usedByExited },
    });

    const runtime = await open();
    await runtime.close();
    assert.equal(await networkNamed(made.idle), false, 'the idle network of our cluster is removed');
    assert.equal(
      await networkNamed(made.usedByExited),
      true,
      'a network a container of the job names is kept',
    );
    assert.equal(await networkNamed(made.otherCluster), true, "another cluster's network is kept");
    assert.equal(await networkNamed(made.unlabelled), true, 'a network RESTfulSwarm did not make is kept');
  });
});

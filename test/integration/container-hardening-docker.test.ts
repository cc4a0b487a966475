/**
 * @module Hardened task containers on the real Docker engine (issue 11, item 4): the `docker
 * inspect` of a job container (capabilities, no-new-privileges, pids limit, swap, log rotation,
 * and the cpuset and memory limits as before), what a process inside can and cannot do, the
 * per-worker options (read-only root with a /tmp tmpfs, non-root user, a lower pids limit), and a
 * permanent start error that fails its job at once instead of being retried at full speed.
 */
import { test, describe } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { systemClock } from '../../core/clock/clock.js';
import type { ContainerHardeningInput } from '../../core/config/index.js';
import { containerHardeningSchema } from '../../core/config/index.js';
import { PERMANENT_START_FAILURE } from '../../core/job/start-failure.js';
import { silentLogger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment, TaskRef } from '../../core/protocol/index.js';
import { DockerRuntime, dockerClientFor } from '../../worker/docker-runtime.js';
import type { StartRetryPolicy } from '../../worker/start-retry.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import { startCluster, waitFor } from '../support/control-plane-harness.js';
import { FakeManager } from '../support/fake-manager.js';
import { removeWorkerLeftovers } from '../support/docker-leftovers.js';
import { SERVICES, removeContainerIfPresent, uniqueName } from '../support/services.js';

const MiB = 1024 * 1024;
const docker: Docker = dockerClientFor(SERVICES.dockerHost);

/** CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, KILL 5, SETGID 6, SETUID 7, NET_BIND_SERVICE 10. */
const DEFAULT_CAP_MASK =
  (1n << 0n) | (1n << 1n) | (1n << 3n) | (1n << 5n) | (1n << 6n) | (1n << 7n) | (1n << 10n);

function assignment(job: string, task: string, command: string): TaskAssignment {
  return {
    job,
    task,
    attempt: 0,
    containerName: `${job}_${task}`,
    image: SERVICES.testImage,
    command: ['sh', '-c', command],
    coreIds: [0],
    memoryBytes: 32 * MiB,
    env: {},
    ports: [],
    volumes: [],
    network: null,
    runSeconds: null,
  };
}

function refOf(a: TaskAssignment): TaskRef {
  return { job: a.job, task: a.task, attempt: a.attempt };
}

/** Everything the container wrote so far (the multiplexing headers do not matter to a regex). */
async function logsOf(name: string): Promise<string> {
  const out = await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false });
  return out.toString('latin1');
}

/** An agent on a fresh worker id with these hardening options, on a fake GlobalManager. */
async function agentOn(
  t: { after: (fn: () => Promise<void>) => void },
  containers?: ContainerHardeningInput,
  startRetry?: StartRetryPolicy,
): Promise<{ fake: FakeManager; workerId: string; job: string }> {
  const fake = await FakeManager.start();
  const workerId = uniqueName('rswarm-harden-w');
  const runtime = await DockerRuntime.create({
    workerId,
    docker,
    pullTimeoutMs: 10_000,
    stopTimeoutSeconds: 1,
    ...(containers ? { hardening: containerHardeningSchema.parse(containers) } : {}),
    ...(startRetry ? { startRetry } : {}),
    clock: systemClock,
    logger: silentLogger(),
  });
  const agent = WorkerAgent.create(
    {
      workerId,
      managerEndpoint: fake.managerEndpoint,
      discoveryEndpoint: fake.discoveryEndpoint,
      heartbeatIntervalMs: 200,
      coreIds: [0],
      memoryBytes: 1024 * MiB,
      runtime: 'docker',
    },
    { runtime, clock: systemClock, logger: silentLogger() },
  );
  t.after(async () => {
    await agent.close();
    await fake.close();
    // Only this test's containers: the ones labelled with its fresh worker id.
    await removeWorkerLeftovers(docker, [workerId]);
  });
  await agent.run();
  await fake.waitFor('join', () => fake.joins(workerId)[0]);
  await fake.sync(workerId, []);
  await fake.waitFor('active', () => agent.getState() === 'active');
  return { fake, workerId, job: uniqueName('rswarm-harden-job') };
}

describe('hardened task containers on the real Docker engine', { timeout: 90_000 }, () => {
  test('by default: all capabilities dropped but a documented few, no-new-privileges, pids limit, no extra swap, rotated logs', async (t) => {
    const { fake, workerId, job } = await agentOn(t);
    const a = assignment(
      job,
      'probe',
      'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; ' +
        'mknod /tmp/dev c 1 3 2>/dev/null && echo mknod-allowed || echo mknod-refused; ' +
        'echo ready; exec sleep 30',
    );
    await fake.assign(workerId, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'), 15_000);

    const info = await docker.getContainer(a.containerName).inspect();
    const h = info.HostConfig;
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual((h.CapAdd ?? []).map((c: string) => c.replace(/^CAP_/, '')).sort(), [
      'CHOWN',
      'DAC_OVERRIDE',
      'FOWNER',
      'KILL',
      'NET_BIND_SERVICE',
      'SETGID',
      'SETUID',
    ]);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges:true']);
    assert.equal(h.PidsLimit, 512);
    assert.equal(h.Memory, 32 * MiB, 'the memory limit as booked');
    assert.equal(h.MemorySwap, 32 * MiB, 'no swap beyond the memory limit');
    assert.equal(h.CpusetCpus, '0', 'the cpuset as booked');
    assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } });
    assert.equal(h.ReadonlyRootfs, false);

    const logs = await fake.waitFor('the probe output', async () => {
      const text = await logsOf(a.containerName);
      return text.includes('ready') ? text : undefined;
    });
    assert.match(logs, /NoNewPrivs:\s*1/, 'setuid binaries cannot raise privileges');
    const capEff = /CapEff:\s*([0-9a-f]+)/.exec(logs)?.[1];
    const capBnd = /CapBnd:\s*([0-9a-f]+)/.exec(logs)?.[1];
    assert.equal(
      BigInt(`0x${capEff}`),
      DEFAULT_CAP_MASK,
      'root in the container holds only the documented set',
    );
    assert.equal(BigInt(`0x${capBnd}`), DEFAULT_CAP_MASK, 'and can never gain another');
    assert.match(logs, /mknod-refused/, 'MKNOD is dropped');
  });

  test('per worker: a lower pids limit holds, read-only root with a writable /tmp, a non-root user', async (t) => {
    const pidsLimit = 16;
    const { fake, workerId, job } = await agentOn(t, {
      pidsLimit,
      readOnlyRootFs: true,
      user: '65534:65534',
    });
    const a = assignment(
      job,
      'forker',
      'id -u; touch /rootfile 2>/dev/null && echo root-writable || echo root-read-only; ' +
        'touch /tmp/f && echo tmp-writable; ' +
        // The subshell stops at the first refused fork; the sleeps it started stay.
        '(for i in $(seq 1 64); do sleep 30 & done) 2>&1; echo forked; exec sleep 30',
    );
    await fake.assign(workerId, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'), 15_000);
    const container = docker.getContainer(a.containerName);
    const info = await container.inspect();
    assert.equal(info.HostConfig.PidsLimit, pidsLimit);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(info.HostConfig.Tmpfs, { '/tmp': 'rw,nosuid,nodev,size=64m' });
    assert.equal(info.Config.User, '65534:65534');

    const logs = await fake.waitFor('the forks to stop', async () => {
      const text = await logsOf(a.containerName);
      return text.includes('forked') ? text : undefined;
    });
    assert.match(logs, /65534/);
    assert.match(logs, /root-read-only/);
    assert.match(logs, /tmp-writable/);
    assert.match(logs, /can't fork|Resource temporarily unavailable/i, 'forks past the limit are refused');
    const top = (await container.top()) as { Processes?: string[][] };
    const processes = top.Processes?.length ?? 0;
    assert.ok(processes > 1 && processes <= pidsLimit, `${processes} processes, limit ${pidsLimit}`);
  });

  test('a permanent start error fails the task once, marked permanent, without retries', async (t) => {
    const { fake, workerId, job } = await agentOn(t);
    const a = { ...assignment(job, 'ghost', 'true'), image: `rswarm/${uniqueName('no-such-image')}:latest` };
    const started = Date.now();
    await fake.assign(workerId, [a]);
    const failed = await fake.waitFor(
      'failed',
      () => fake.reportsFor(refOf(a)).find((r) => r.state === 'failed'),
      15_000,
    );
    assert.ok(Date.now() - started < 12_000);
    assert.ok((failed.reason ?? '').endsWith(PERMANENT_START_FAILURE), failed.reason ?? '');
    assert.match(failed.reason ?? '', /^image rswarm\/.* is not present and could not be pulled: /);
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'failed']);
  });
});

/** Holds a free loopback port with a plain listener, as another program would. */
async function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    release: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('transient start errors on the real Docker engine', { timeout: 60_000 }, () => {
  test('a host port still held is retried with a growing delay and starts once it is free', async (t) => {
    const { fake, workerId, job } = await agentOn(t, undefined, { attempts: 8, minMs: 300, maxMs: 1000 });
    const held = await holdPort();
    const a = {
      ...assignment(job, 'web', 'exec sleep 30'),
      ports: [{ containerPort: '80', hostIp: '127.0.0.1', hostPort: held.port }],
    };
    const assigned = Date.now();
    await fake.assign(workerId, [a]);
    // The first starts fail with "address already in use"; free the port after a second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting'], 'still trying, not failed');
    await held.release();
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'), 15_000);
    assert.ok(Date.now() - assigned >= 1000);
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'running']);
  });

  test('a stop during the backoff cuts it short: cancelled and removed at once, never started', async (t) => {
    const { fake, workerId, job } = await agentOn(t, undefined, {
      attempts: 8,
      minMs: 20_000,
      maxMs: 20_000,
    });
    const held = await holdPort();
    t.after(() => held.release());
    const a = {
      ...assignment(job, 'web', 'exec sleep 30'),
      ports: [{ containerPort: '80', hostIp: '127.0.0.1', hostPort: held.port }],
    };
    await fake.assign(workerId, [a]);
    // The first start has failed once its container exists (created, never started).
    await fake.waitFor('the first start to fail', async () => {
      const info = await docker
        .getContainer(a.containerName)
        .inspect()
        .catch(() => undefined);
      return info?.State.Status === 'created' ? true : undefined;
    });
    const stopped = Date.now();
    await fake.stop(workerId, [refOf(a)]);
    await fake.waitFor('cancelled', () => fake.statesFor(refOf(a)).includes('cancelled'), 5000);
    await fake.waitFor(
      'the container removed',
      async () =>
        (await docker.listContainers({ all: true, filters: { name: [a.containerName] } })).length === 0
          ? true
          : undefined,
      5000,
    );
    assert.ok(Date.now() - stopped < 5000, 'not after the 20 s backoff');
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'cancelled']);
  });

  test('a port held for good fails the task after the bounded retries, not marked permanent', async (t) => {
    const { fake, workerId, job } = await agentOn(t, undefined, { attempts: 3, minMs: 300, maxMs: 1000 });
    const held = await holdPort();
    t.after(() => held.release());
    const a = {
      ...assignment(job, 'web', 'exec sleep 30'),
      ports: [{ containerPort: '80', hostIp: '127.0.0.1', hostPort: held.port }],
    };
    const assigned = Date.now();
    await fake.assign(workerId, [a]);
    const failed = await fake.waitFor(
      'failed',
      () => fake.reportsFor(refOf(a)).find((r) => r.state === 'failed'),
      15_000,
    );
    assert.ok(Date.now() - assigned >= 300 + 600, 'two waits: 300 ms, then 600 ms');
    assert.match(failed.reason ?? '', /address already in use|port is already allocated/);
    assert.ok(!(failed.reason ?? '').endsWith(PERMANENT_START_FAILURE), failed.reason ?? '');
  });
});

describe('a permanent start error through the control plane (Docker worker)', { timeout: 90_000 }, () => {
  test('fails the job at once with the reason, however many attempts its restart policy allows', async () => {
    const workerId = uniqueName('rswarm-harden-cp');
    const c = await startCluster({
      workers: [{ workerId, runtime: 'docker', coreIds: [0], memoryBytes: 256 * MiB, pullTimeoutMs: 5000 }],
    });
    const name = uniqueName('harden-noimage');
    try {
      await waitFor('the worker to join', async () =>
        (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
      );
      const res = await c.api('POST', '/api/v1/jobs', {
        name,
        restartPolicy: { mode: 'on-failure', maxAttempts: 100 },
        tasks: [{ name: 't1', image: `rswarm/${name}:latest`, cores: 1, memory: '16m' }],
      });
      assert.equal(res.status, 202, res.text);
      const j = await waitFor(
        `${name} to end`,
        async () => {
          const b = (await c.api('GET', `/api/v1/jobs/${name}`)).body;
          return b && ['finished', 'failed', 'cancelled'].includes(b.state) ? b : undefined;
        },
        30_000,
        100,
      );
      assert.equal(j.state, 'failed');
      // Before: re-queued at once, again and again (100 attempts in about 6 s).
      assert.equal(j.tasks[0].attempts, 1, 'tried once');
      assert.equal((await c.plane.stores.events.list({ job: name, kind: 'job-requeued' }, 200)).length, 0);
      assert.match(
        j.failureReason,
        /task t1 failed: image rswarm\/.* is not present and could not be pulled: /,
      );
      assert.ok(j.failureReason.endsWith(PERMANENT_START_FAILURE), j.failureReason);
      const bad = await c.api('POST', '/api/v1/jobs', {
        name: `${name}-bad`,
        tasks: [{ name: 't1', image: 'busybox;reboot', cores: 1, memory: '16m' }],
      });
      assert.equal(bad.status, 400, 'an invalid image reference is refused at submission');
      assert.match(bad.text, /\/tasks\/0\/image/);
    } finally {
      try {
        const left = await docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.job}=${name}`] },
        });
        for (const info of left) await removeContainerIfPresent(docker.getContainer(info.Id));
      } finally {
        await c.close();
      }
    }
  });
});

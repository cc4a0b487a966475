/**
 * @module The worker agent with the Docker runtime against the real engine (DOCKER_HOST or the
 * local socket) and a fake GlobalManager and Discovery: container spec (cpuset, memory, labels,
 * ports, binds, env, job network), running → finished, prune after the ack, failures with the
 * engine's reason (missing image, exit code, OOM), and adoption by a restarted agent.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Docker from 'dockerode';
import { systemClock } from '../../core/clock/clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { TaskAssignment, TaskRef } from '../../core/protocol/index.js';
import { DockerRuntime, dockerClientFor } from '../../worker/docker-runtime.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import { FakeManager } from '../support/fake-manager.js';
import { SERVICES, uniqueName } from '../support/services.js';

const MiB = 1024 * 1024;
/** The local engine socket, which the proxy test fronts (DOCKER_HOST aside, tests run beside dockerd). */
const DOCKER_SOCKET = '/var/run/docker.sock';
const docker: Docker = dockerClientFor(SERVICES.dockerHost);

function assignment(job: string, task: string, extra: Partial<TaskAssignment> = {}): TaskAssignment {
  return {
    job,
    task,
    attempt: 0,
    containerName: `${job}_${task}`,
    image: SERVICES.testImage,
    command: ['sh', '-c', 'sleep 1'],
    coreIds: [0],
    memoryBytes: 32 * MiB,
    env: {},
    ports: [],
    volumes: [],
    network: null,
    runSeconds: null,
    ...extra,
  };
}

function refOf(a: TaskAssignment): TaskRef {
  return { job: a.job, task: a.task, attempt: a.attempt };
}

async function inspectOrNull(name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(name).inspect();
  } catch {
    return null;
  }
}

/**
 * A TCP proxy in front of the local engine socket that counts HTTP requests and can cut every
 * connection, as a dockerd restart or a network blip would.
 */
class EngineProxy {
  requests: string[] = [];
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async start(socketPath: string): Promise<EngineProxy> {
    const server = net.createServer();
    const proxy = new EngineProxy(server);
    server.on('connection', (client) => {
      const upstream = net.connect(socketPath);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on('close', () => {
          proxy.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
        s.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) => {
        for (const m of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.1/gm))
          proxy.requests.push(`${m[1]} ${m[2]}`);
      });
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  client(): Docker {
    return new Docker({ host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port });
  }

  cutAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function startAgent(
  fake: FakeManager,
  workerId: string,
  engine: Docker = docker,
): Promise<WorkerAgent> {
  const runtime = await DockerRuntime.create({
    workerId,
    docker: engine,
    pullTimeoutMs: 10_000,
    stopTimeoutSeconds: 1,
    // The spec test binds /tmp; workers mount nothing unless allowed.
    volumeAllowList: ['/tmp'],
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
  await agent.run();
  return agent;
}

interface Harness {
  readonly fake: FakeManager;
  readonly workerId: string;
  readonly job: string;
  agent: WorkerAgent;
}

/** An active agent on a fresh worker id; everything it leaves behind is removed afterwards. */
async function harness(t: { after: (fn: () => Promise<void>) => void }, engine?: Docker): Promise<Harness> {
  const fake = await FakeManager.start();
  const workerId = uniqueName('rswarm-it-w');
  const h: Harness = {
    fake,
    workerId,
    job: uniqueName('rswarm-it-job'),
    agent: await startAgent(fake, workerId, engine),
  };
  t.after(async () => {
    await h.agent.close();
    await fake.close();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.worker}=${workerId}`] },
    });
    await Promise.all(
      left.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    const nets = await docker.listNetworks({ filters: { label: [`${LABELS.job}=${h.job}`] } });
    await Promise.all(
      nets.map((n) =>
        docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined),
      ),
    );
  });
  await fake.waitFor('join', () => fake.joins(workerId)[0]);
  await fake.sync(workerId, []);
  await fake.waitFor('active', () => h.agent.getState() === 'active');
  return h;
}

describe('worker agent on the real Docker engine', { timeout: 60_000 }, () => {
  test('runs a task with its cpuset, memory, labels, ports, binds, env and job network; removes it after the ack', async (t) => {
    const { fake, workerId, job } = await harness(t);
    fake.autoAck = false;
    const net = `${job}-net`;
    const a = assignment(job, 'sleeper', {
      env: { GREETING: 'hello world' },
      ports: [{ containerPort: '8080', hostIp: '127.0.0.1', hostPort: 0 }],
      volumes: [{ hostPath: '/tmp', containerPath: '/data', readOnly: true }],
      network: { name: net, driver: 'bridge' },
    });
    await fake.assign(workerId, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'), 15_000);

    const info = await inspectOrNull(a.containerName);
    assert.ok(info, 'container created under the assignment name');
    assert.equal(info.HostConfig.CpusetCpus, '0');
    assert.equal(info.HostConfig.Memory, 32 * MiB);
    assert.equal(info.HostConfig.MemorySwap, 32 * MiB);
    assert.deepEqual(
      {
        job: info.Config.Labels[LABELS.job],
        task: info.Config.Labels[LABELS.task],
        attempt: info.Config.Labels[LABELS.attempt],
        worker: info.Config.Labels[LABELS.worker],
      },
      { job, task: 'sleeper', attempt: '0', worker: workerId },
    );
    assert.ok(info.Config.Env.includes('GREETING=hello world'));
    assert.deepEqual(info.HostConfig.Binds, ['/tmp:/data:ro']);
    assert.deepEqual(info.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    const network = (await docker.getNetwork(net).inspect()) as {
      Id: string;
      Driver: string;
      Labels: Record<string, string>;
    };
    // Attached by id: job network names can be duplicated by racing creators; the id is canonical.
    assert.equal(info.HostConfig.NetworkMode, network.Id);
    assert.equal(network.Driver, 'bridge');
    assert.equal(network.Labels[LABELS.job], job);

    const finished = await fake.waitFor(
      'finished',
      () => fake.reportsFor(refOf(a)).find((r) => r.state === 'finished'),
      15_000,
    );
    assert.equal(finished.exitCode, 0);
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'running', 'finished']);
    assert.ok(await inspectOrNull(a.containerName), 'kept until Discovery acknowledges the end');

    await fake.ack([finished.id]);
    await fake.waitFor('container removed', async () => (await inspectOrNull(a.containerName)) === null);
    await fake.waitFor('job network removed with its last container', async () => {
      const nets = await docker.listNetworks({ filters: { label: [`${LABELS.job}=${job}`] } });
      return nets.length === 0;
    });
  });

  test('a missing image fails the task with the engine’s reason, without hanging', async (t) => {
    const { fake, workerId, job } = await harness(t);
    const image = `rswarm/${uniqueName('no-such-image')}:latest`;
    const a = assignment(job, 'ghost', { image });
    const started = Date.now();
    await fake.assign(workerId, [a]);
    const failed = await fake.waitFor(
      'failed',
      () => fake.reportsFor(refOf(a)).find((r) => r.state === 'failed'),
      15_000,
    );
    assert.ok(Date.now() - started < 12_000, 'bounded by the pull timeout');
    assert.equal(failed.exitCode, null);
    const prefix = `image ${image} is not present and could not be pulled: `;
    const reason = failed.reason ?? '';
    assert.ok(reason.startsWith(prefix), reason);
    // The rest is the engine's sentence (here: no registry), not ours.
    const engineWords = reason.slice(prefix.length);
    assert.match(engineWords, /registry|pull|denied|not found|no such host|repository|dial|manifest/i);
    assert.doesNotMatch(engineWords, /timed out/);
    assert.doesNotMatch(engineWords, /^\(HTTP code/, 'the engine’s sentence, not dockerode’s wrapper');
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'failed']);
    assert.equal(await inspectOrNull(a.containerName), null);
  });

  test('a non-zero exit fails the task with its code; an OOM kill says so', async (t) => {
    const { fake, workerId, job } = await harness(t);
    const exit3 = assignment(job, 'exit3', { command: ['sh', '-c', 'exit 3'] });
    const hog = assignment(job, 'hog', {
      memoryBytes: 8 * MiB,
      command: ['sh', '-c', 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x=$x$x; done'],
    });
    await fake.assign(workerId, [exit3, hog]);
    const failed3 = await fake.waitFor(
      'exit 3',
      () => fake.reportsFor(refOf(exit3)).find((r) => r.state === 'failed'),
      15_000,
    );
    assert.equal(failed3.exitCode, 3);
    assert.equal(failed3.reason, 'exited with code 3');
    const oom = await fake.waitFor(
      'OOM kill',
      () => fake.reportsFor(refOf(hog)).find((r) => r.state === 'failed'),
      15_000,
    );
    assert.equal(oom.reason, 'killed: out of memory');
    assert.equal(oom.exitCode, 137);
    await fake.waitFor('both pruned after the acks', async () => {
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.worker}=${workerId}`] },
      });
      return left.length === 0;
    });
  });

  test('a restarted agent adopts its running container (join.running), starts no duplicate; stop removes it', async (t) => {
    const h = await harness(t);
    const { fake, workerId, job } = h;
    const a = assignment(job, 'long', { command: ['sh', '-c', 'sleep 30'] });
    await fake.assign(workerId, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'), 15_000);
    const before = await inspectOrNull(a.containerName);
    assert.ok(before);

    await h.agent.close();
    assert.equal((await inspectOrNull(a.containerName))?.State.Running, true, 'the task outlives its agent');
    h.agent = await startAgent(fake, workerId);
    const rejoin = await fake.waitFor('second join', () => fake.joins(workerId)[1]);
    assert.deepEqual(rejoin.running, [refOf(a)]);
    await fake.sync(workerId, [a]);
    await fake.waitFor('active', () => h.agent.getState() === 'active');
    await fake.assign(workerId, [a]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const mine = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.worker}=${workerId}`] },
    });
    assert.deepEqual(
      mine.map((c) => c.Id),
      [before.Id],
      'the same container, no duplicate',
    );

    await fake.stop(workerId, [refOf(a)]);
    await fake.waitFor('cancelled', () => fake.statesFor(refOf(a)).includes('cancelled'), 10_000);
    await fake.waitFor('removed', async () => (await inspectOrNull(a.containerName)) === null, 10_000);
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'running', 'cancelled']);
  });

  test('container events are watched as a stream, not polled, and the stream is reopened when it drops', async (t) => {
    const proxy = await EngineProxy.start(DOCKER_SOCKET);
    t.after(() => proxy.close());
    const { fake, workerId, job } = await harness(t, proxy.client());
    const a = assignment(job, 'watched', { command: ['sh', '-c', 'sleep 3'] });
    await fake.assign(workerId, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'), 15_000);

    const idleFrom = proxy.requests.length;
    await delay(1200);
    assert.deepEqual(proxy.requests.slice(idleFrom), [], 'no engine request while nothing happens');

    proxy.cutAll(); // the events stream (and any idle keep-alive connection) drops
    await fake.waitFor('events stream reopened', () =>
      proxy.requests.slice(idleFrom).some((r) => r.includes('/events')),
    );
    const finished = await fake.waitFor(
      'finished, seen through the reopened stream',
      () => fake.reportsFor(refOf(a)).find((r) => r.state === 'finished'),
      15_000,
    );
    assert.equal(finished.exitCode, 0);
    await fake.waitFor('pruned', async () => (await inspectOrNull(a.containerName)) === null);
  });
});

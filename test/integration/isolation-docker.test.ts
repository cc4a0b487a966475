/**
 * @module Issue 11 items 2 and 3 on the real services (FerretDB, Redis, dockerd): volumes are
 * checked where they are mounted (the symlink escape through two jobs, a volume outside the
 * worker's allow-list, `..` at submission) and a job runs only on a network of its own (`host`
 * refused at submission, another job's network and a network not made by RESTfulSwarm refused at
 * the worker, the subnet honoured as the network's IPAM config). Every container, network and
 * directory is this file's own (unique job names, worker ids and paths) and removed afterwards.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readlink, rm, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { LABELS } from '../../core/model/index.js';
import { dockerClientFor } from '../../worker/docker-runtime.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { removeContainerIfPresent, SERVICES, uniqueName } from '../support/services.js';

const docker = dockerClientFor(SERVICES.dockerHost);
const MiB = 1024 ** 2;
/** A directory this file owns: both the submission and the worker allow-list. */
const ROOT = `/tmp/rswarm-it-${randomUUID().slice(0, 8)}`;
/** Allowed at submission only: the worker's own allow-list must still refuse it. */
const SUBMISSION_ONLY = `${ROOT}-submission-only`;
/** A test-owned label on the network made outside RESTfulSwarm, for cleanup. */
const TEST_LABEL = 'rswarm.test.isolation';

interface JobView {
  state: string;
  failureReason: string | null;
  tasks: { name: string; state: string }[];
}

describe('volumes and networks on the real services', { timeout: 180_000 }, () => {
  let c: Cluster;
  const jobs: string[] = [];
  const foreignNetwork = uniqueName('rswarm-it-foreign');

  before(async () => {
    await mkdir(ROOT, { recursive: true });
    c = await startCluster({
      realBackends: true,
      overrides: { job: { volumeAllowList: [ROOT, SUBMISSION_ONLY] } },
      workers: [
        {
          workerId: uniqueName('rswarm-it-iso'),
          runtime: 'docker',
          coreIds: cpus().map((_c, i) => i),
          memoryBytes: 512 * MiB,
          volumeAllowList: [ROOT],
        },
      ],
    });
    await waitFor('worker joined', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
    );
  });

  after(async () => {
    await c?.close();
    for (const job of jobs) {
      const left = await docker.listContainers({ all: true, filters: { label: [`${LABELS.job}=${job}`] } });
      for (const info of left) await removeContainerIfPresent(docker.getContainer(info.Id));
      const nets = await docker.listNetworks({ filters: { label: [`${LABELS.job}=${job}`] } });
      for (const n of nets) await ignoreGone(docker.getNetwork(n.Id).remove());
    }
    const mine = await docker.listNetworks({ filters: { label: [TEST_LABEL] } });
    for (const n of mine) await ignoreGone(docker.getNetwork(n.Id).remove());
    await rm(ROOT, { recursive: true, force: true });
    await rm(SUBMISSION_ONLY, { recursive: true, force: true });
  });

  /** Submits a native job (restart never, the test image) and remembers it for cleanup. */
  async function submit(task: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
    const name = uniqueName('rswarm-it-iso-job');
    jobs.push(name);
    const res = await c.api('POST', '/api/v1/jobs', {
      name,
      restartPolicy: { mode: 'never' },
      tasks: [{ name: 't1', image: SERVICES.testImage, cores: 1, memory: '16m', ...task }],
      ...extra,
    });
    assert.equal(res.status, 202, res.text);
    return name;
  }

  async function jobInState(name: string, states: readonly string[]): Promise<JobView> {
    return waitFor(
      `${name} ${states.join('/')}`,
      async () => {
        const j = (await c.api('GET', `/api/v1/jobs/${name}`)).body as JobView | undefined;
        if (j && !states.includes(j.state))
          throw new Error(`${name} is ${j.state}: ${j.failureReason} ${JSON.stringify(j.tasks)}`);
        return j && states.includes(j.state) && j.tasks.every((t) => states.includes(t.state))
          ? j
          : undefined;
      },
      60_000,
    );
  }

  /** Host paths mounted into any container of `job`. */
  async function mountsOf(job: string): Promise<string[]> {
    const infos = await docker.listContainers({ all: true, filters: { label: [`${LABELS.job}=${job}`] } });
    return infos.flatMap((i) => i.Mounts.map((m) => m.Source));
  }

  test('symlink escape: a link to / planted by one job is refused as the next job’s volume', async () => {
    const planter = await submit({
      command: ['sh', '-c', 'ln -s / /data/x'],
      volumes: { [ROOT]: { bind: '/data' } },
    });
    await jobInState(planter, ['finished']);
    assert.equal(await readlink(`${ROOT}/x`), '/', 'the first job planted the link');

    const escaper = await submit({
      command: ['sleep', '30'],
      volumes: { [`${ROOT}/x`]: { bind: '/host' } },
    });
    const failed = await jobInState(escaper, ['failed']);
    assert.match(
      failed.failureReason ?? '',
      new RegExp(
        `volume ${ROOT}/x:/host refused: it resolves to /, which is outside this worker's allowed paths`,
      ),
    );
    assert.ok(!(await mountsOf(escaper)).includes('/'), 'no container of the job has / mounted');
  });

  test('a volume allowed at submission but outside the worker’s allow-list fails the task', async () => {
    const outside = `${SUBMISSION_ONLY}/data`;
    const job = await submit({ command: ['true'], volumes: { [outside]: { bind: '/data' } } });
    const failed = await jobInState(job, ['failed']);
    assert.match(failed.failureReason ?? '', /outside this worker's allowed paths/);
    assert.ok(failed.failureReason?.includes(`volume ${outside}:/data refused`), failed.failureReason ?? '');
    await assert.rejects(stat(outside), { code: 'ENOENT' }, 'the refused host path was not created');
  });

  test('at submission: ".." refused naming the field; dots in names accepted and mounted', async () => {
    const bad = await c.api('POST', '/api/v1/jobs', {
      name: uniqueName('rswarm-it-iso-job'),
      tasks: [
        {
          name: 't1',
          image: SERVICES.testImage,
          cores: 1,
          memory: '16m',
          volumes: { [`${ROOT}/../etc`]: { bind: '/data' } },
        },
      ],
    });
    assert.equal(bad.status, 400, bad.text);
    const key = `${ROOT}/../etc`.replaceAll('/', '~1');
    assert.deepEqual(
      bad.body.error.details.map((d: { code: string; pointer: string }) => [d.code, d.pointer]),
      [['VOLUME_INVALID', `/tasks/0/volumes/${key}`]],
    );

    const dotted = `${ROOT}/v1.2`;
    const job = await submit({
      command: ['sh', '-c', 'echo ok > /data/out.txt'],
      volumes: { [dotted]: { bind: '/data' } },
    });
    await jobInState(job, ['finished']);
    assert.ok((await lstat(`${dotted}/out.txt`)).isFile(), 'the dotted directory was mounted');
  });

  test('"host" as the job network is refused at submission', async () => {
    for (const name of ['host', 'bridge', 'none']) {
      const res = await c.api('POST', '/api/v1/jobs', {
        name: uniqueName('rswarm-it-iso-job'),
        network: { name },
        tasks: [{ name: 't1', image: SERVICES.testImage, cores: 1, memory: '16m' }],
      });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(
        res.body.error.details.map((d: { code: string; pointer: string }) => [d.code, d.pointer]),
        [['NETWORK_INVALID', '/network/name']],
      );
    }
  });

  test('another job’s network, or one not made by RESTfulSwarm, is refused at the worker', async () => {
    const victimNet = uniqueName('rswarm-it-victim-net');
    const victim = await submit(
      { command: ['sleep', '30'] },
      { network: { name: victimNet, driver: 'bridge' } },
    );
    await jobInState(victim, ['running']);

    const spy = await submit(
      { command: ['sleep', '30'] },
      { network: { name: victimNet, driver: 'bridge' } },
    );
    const spyFailed = await jobInState(spy, ['failed']);
    assert.match(
      spyFailed.failureReason ?? '',
      new RegExp(`network ${victimNet} refused: .*belongs to another job`),
    );
    assert.deepEqual(await mountsOf(spy), []);
    const victimNetInfo = (await docker.getNetwork(victimNet).inspect()) as {
      Containers?: Record<string, unknown>;
    };
    assert.equal(Object.keys(victimNetInfo.Containers ?? {}).length, 1, 'only the victim is on its network');

    await docker.createNetwork({ Name: foreignNetwork, Driver: 'bridge', Labels: { [TEST_LABEL]: '1' } });
    const intruder = await submit(
      { command: ['true'] },
      { network: { name: foreignNetwork, driver: 'bridge' } },
    );
    const intruderFailed = await jobInState(intruder, ['failed']);
    assert.match(intruderFailed.failureReason ?? '', /not created by RESTfulSwarm/);
    await c.api('DELETE', `/api/v1/jobs/${victim}`);
  });

  test('the subnet is honoured as the job network’s IPAM config', async () => {
    // A /24 in 10.213.0.0/16 picked at random, so concurrent runs rarely collide.
    const subnet = `10.213.${Math.floor(Math.random() * 250) + 1}.0/24`;
    const netName = uniqueName('rswarm-it-subnet-net');
    const job = await submit(
      { command: ['sleep', '30'] },
      { network: { name: netName, driver: 'bridge', subnet } },
    );
    await jobInState(job, ['running']);
    const info = (await docker.getNetwork(netName).inspect()) as {
      IPAM: { Config: { Subnet: string }[] };
      Labels: Record<string, string>;
    };
    assert.deepEqual(
      info.IPAM.Config.map((x) => x.Subnet),
      [subnet],
    );
    assert.equal(info.Labels[LABELS.job], job);
    await c.api('DELETE', `/api/v1/jobs/${job}`);
  });
});

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  await p.catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
  });
}

/**
 * @module Services end to end on the real services (FerretDB, Redis, dockerd) with a real Docker
 * worker and the gateway (issue 12, items 1 and 2): replicas are busybox `httpd` processes in
 * real containers, reached through real sockets. A service at zero replicas answers its first
 * request by starting one (a cold start), 50 concurrent cold requests start exactly one replica,
 * the replica runs on an exact cpuset with a Docker-picked host port, an idle replica above the
 * minimum is stopped, scaling and deletion go through the API, and errors are the documented
 * ones (401, 404). Every container is this file's own (unique service names) and removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LABELS } from '../../core/model/index.js';
import { dockerClientFor } from '../../worker/docker-runtime.js';
import { waitFor, type Cluster } from '../support/control-plane-harness.js';
import {
  closeDockerGatewayCluster,
  httpdServing,
  startDockerGatewayCluster,
} from '../support/docker-gateway-cluster.js';
import { SERVICES, uniqueName } from '../support/services.js';

const docker = dockerClientFor(SERVICES.dockerHost);

const HTTPD = httpdServing('hello from $HOSTNAME');

interface ServiceView {
  name: string;
  desired: number;
  replicas: { job: string; state: string; workerId: string | null }[];
}

describe('services through the gateway on the real services', { timeout: 240_000 }, () => {
  let c: Cluster;
  const workerId = uniqueName('rswarm-it-svc');
  const services: string[] = [];

  before(async () => {
    c = await startDockerGatewayCluster(workerId);
  });

  after(async () => {
    await closeDockerGatewayCluster(c, workerId, services);
  });

  const gateway = (path: string, token: string | null = c.token): Promise<Response> =>
    fetch(`${c.plane.gatewayUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  async function createService(extra: Record<string, unknown> = {}): Promise<string> {
    const name = uniqueName('web');
    services.push(name);
    const res = await c.api('POST', '/api/v1/services', {
      name,
      image: SERVICES.testImage,
      command: HTTPD,
      port: 8080,
      cores: 1,
      memory: '16m',
      maxReplicas: 2,
      ...extra,
    });
    assert.equal(res.status, 201, res.text);
    return name;
  }
  /** Deletes a service and waits until its containers are gone (this host has few cores). */
  async function removeService(name: string): Promise<void> {
    const res = await c.api('DELETE', `/api/v1/services/${name}`);
    assert.equal(res.status, 202, res.text);
    await waitFor(`no container of ${name} left`, async () => {
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.worker}=${workerId}`] },
      });
      const mine = left.filter((i) => (i.Labels[LABELS.job] ?? '').startsWith(`svc-${name}-`));
      return mine.length === 0 ? true : undefined;
    });
  }
  const view = async (name: string): Promise<ServiceView> =>
    (await c.api('GET', `/api/v1/services/${name}`)).body as ServiceView;
  const liveReplicas = async (name: string) => (await view(name)).replicas;

  test('a cold request starts one replica and is answered by it; it runs on an exact cpuset', async () => {
    const name = await createService();
    assert.deepEqual((await view(name)).replicas, [], 'scaled to zero until asked');
    const t0 = Date.now();
    const res = await gateway(`/${name}/index.html`);
    const coldMs = Date.now() - t0;
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(await res.text(), /^hello from /);
    const [replica] = await liveReplicas(name);
    assert.equal(replica?.state, 'running');
    const [info] = await docker.listContainers({ filters: { label: [`${LABELS.job}=${replica?.job}`] } });
    assert.ok(info, 'the replica container runs');
    const inspect = await docker.getContainer(info.Id).inspect();
    assert.match(inspect.HostConfig.CpusetCpus ?? '', /^\d+$/, 'one exact core');
    const published = inspect.NetworkSettings.Ports['8080/tcp'] ?? [];
    assert.ok(
      published.some((p) => Number(p.HostPort) > 0),
      'a host port Docker picked',
    );
    // A warm request is served by the same replica.
    const warm = await gateway(`/${name}/`);
    assert.equal(warm.status, 200);
    assert.ok(coldMs < 30_000, `cold start took ${coldMs} ms`);
    await removeService(name);
  });

  test('50 concurrent cold requests start exactly one replica and all get the page', async () => {
    const name = await createService({ maxReplicas: 4 });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        gateway(`/${name}/index.html`).then(async (r) => [r.status, await r.text()] as const),
      ),
    );
    assert.deepEqual(
      answers.map(([status]) => status),
      Array.from({ length: 50 }, () => 200),
    );
    assert.equal(new Set(answers.map(([, body]) => body)).size, 1, 'one replica answered them all');
    const jobs = ((await c.api('GET', '/api/v1/jobs?limit=1000')).body as { items: { name: string }[] })
      .items;
    assert.equal(
      jobs.filter((j) => j.name.startsWith(`svc-${name}-`)).length,
      1,
      'one replica job was ever made',
    );
    await removeService(name);
  });

  test('unknown services are 404, a missing token is 401, a public service needs none', async () => {
    assert.equal((await gateway(`/${uniqueName('nosuch')}/`)).status, 404);
    const name = await createService();
    const res = await gateway(`/${name}/`, null);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    const open = await createService({ public: true });
    assert.equal((await gateway(`/${open}/`, null)).status, 200);
    await removeService(name);
    await removeService(open);
  });

  test('scale through the API; an idle replica above the minimum is stopped; delete stops the rest', async () => {
    const name = await createService({ minReplicas: 1, idleTimeoutMs: 1000 });
    await waitFor('the minimum replica runs', async () =>
      (await liveReplicas(name)).filter((r) => r.state === 'running').length === 1 ? true : undefined,
    );
    const scaled = await c.api('POST', `/api/v1/services/${name}/scale`, { replicas: 2 });
    assert.equal(scaled.status, 202, scaled.text);
    await waitFor('two replicas run', async () =>
      (await liveReplicas(name)).filter((r) => r.state === 'running').length === 2 ? true : undefined,
    );
    // Routed once (so the gateway knows them), then left idle: back to the minimum.
    assert.equal((await gateway(`/${name}/`)).status, 200);
    await waitFor(
      'the idle replica stopped',
      async () => ((await liveReplicas(name)).length === 1 ? true : undefined),
      30_000,
    );
    assert.equal((await view(name)).desired, 1);
    await removeService(name);
    assert.equal((await c.api('GET', `/api/v1/services/${name}`)).status, 404);
  });

  test('a bad definition is refused naming each field', async () => {
    const res = await c.api('POST', '/api/v1/services', {
      name: 'Bad_Name',
      image: SERVICES.testImage,
      port: 70000,
    });
    assert.equal(res.status, 400);
    const pointers = (res.body as { error: { details: { pointer: string }[] } }).error.details.map(
      (d) => d.pointer,
    );
    assert.deepEqual(pointers.sort(), ['/name', '/port']);
  });
});

/**
 * @module Services, issue 12 item 1, on the real services with a real Docker worker and the
 * gateway: once a replica runs, the service shows its image by digest (the one `docker image
 * inspect` names), and a changed definition replaces the replica only once the gateway found the
 * new one ready, so a client calling through the gateway all along never sees a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerClientFor } from '../../worker/docker-runtime.js';
import { imageDigestOf } from '../../worker/docker/image-digest.js';
import { waitFor, type Cluster } from '../support/control-plane-harness.js';
import {
  closeDockerGatewayCluster,
  httpdServing,
  startDockerGatewayCluster,
} from '../support/docker-gateway-cluster.js';
import { SERVICES, uniqueName } from '../support/services.js';

const docker = dockerClientFor(SERVICES.dockerHost);

const HTTPD = httpdServing('v$V');

interface ServiceView {
  generation: number;
  imageDigest: string | null;
  replicas: { job: string; state: string; generation: number }[];
}

describe('rolling replace and image digests on the real services', { timeout: 240_000 }, () => {
  let c: Cluster;
  const workerId = uniqueName('rswarm-it-roll');
  const name = uniqueName('roll');

  before(async () => {
    c = await startDockerGatewayCluster(workerId);
  });

  after(async () => {
    await closeDockerGatewayCluster(c, workerId, [name]);
  });

  const define = (v: string): Promise<{ status: number; text: string }> =>
    c.api('POST', '/api/v1/services', {
      name,
      image: SERVICES.testImage,
      command: HTTPD,
      env: { V: v },
      port: 8080,
      cores: 1,
      memory: '16m',
      // Two cores on the test host: one replica, and room for its successor beside it.
      minReplicas: 1,
      maxReplicas: 1,
    });
  const view = async (): Promise<ServiceView> =>
    (await c.api('GET', `/api/v1/services/${name}`)).body as ServiceView;
  const call = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${c.plane.gatewayUrl}/${name}/index.html`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    return { status: res.status, body: (await res.text()).trim() };
  };

  test('the image by digest, then a new definition rolled out without a failed request', async () => {
    assert.equal((await define('1')).status, 201);
    const first = await waitFor('a replica runs and the digest is pinned', async () => {
      const v = await view();
      return v.imageDigest && v.replicas.some((r) => r.state === 'running') ? v : undefined;
    });
    const expected = imageDigestOf(await docker.getImage(SERVICES.testImage).inspect(), SERVICES.testImage);
    assert.ok(expected);
    assert.equal(first.imageDigest, expected);
    const job = (await c.api('GET', `/api/v1/jobs/${first.replicas[0]?.job}`)).body as {
      tasks: { imageDigest: string | null }[];
    };
    assert.equal(job.tasks[0]?.imageDigest, expected, 'the job view shows what the container runs');
    assert.deepEqual(await call(), { status: 200, body: 'v1' });

    // A client calls through the gateway all along while the definition changes.
    const statuses = new Map<number, number>();
    const bodies = new Set<string>();
    let calling = true;
    const client = (async () => {
      while (calling) {
        const r = await call();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) bodies.add(r.body);
      }
    })();
    assert.equal((await define('2')).status, 200);
    let maxNewPending = 0;
    let oldGoneBeforeNewRan = false;
    const done = await waitFor(
      'the new generation serves alone',
      async () => {
        const v = await view();
        const fresh = v.replicas.filter((r) => r.generation === v.generation);
        const old = v.replicas.filter((r) => r.generation !== v.generation);
        maxNewPending = Math.max(maxNewPending, fresh.filter((r) => r.state !== 'running').length);
        if (old.length === 0 && !fresh.some((r) => r.state === 'running')) oldGoneBeforeNewRan = true;
        const served = (await call()).body === 'v2';
        return old.length === 0 && fresh.length === 1 && served ? v : undefined;
      },
      120_000,
    );
    calling = false;
    await client;
    assert.equal(done.generation, 2);
    assert.equal(maxNewPending <= 1, true, 'one new replica pending at a time');
    assert.equal(oldGoneBeforeNewRan, false, 'the old replica stayed until the new one was ready');
    assert.deepEqual([...statuses.keys()], [200], `every request answered: ${JSON.stringify([...statuses])}`);
    assert.ok(bodies.has('v1') && bodies.has('v2'), 'served by both definitions during the change');
    assert.equal(done.imageDigest, expected, 'the new generation pinned its own digest (the same image)');
  });
});

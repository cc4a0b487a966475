/**
 * @module The gateway's failure handling and health tiers on real sockets: a refused connection is
 * a 502, retried once on another replica for an idempotent request without a body and never for
 * a POST with one; PhysarumSM's tiers (soft limit → degraded, hard limit → ejected until a probe
 * passes); idle replicas released one at a time down to the minimum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayService } from '../../core/services/replica-directory.js';
import { aService, type UpstreamHandler } from '../support/fake-replica-directory.js';
import { call, startGateway, waitUntil, type GatewayHarness } from '../support/gateway-harness.js';

/** A gateway with `service` and `n` running replicas, all probed ready by a first request. */
async function withReplicas(
  t: { after(fn: () => Promise<void>): void },
  service: GatewayService,
  n: number,
  handler?: UpstreamHandler,
  options: Parameters<typeof startGateway>[0] = {},
): Promise<GatewayHarness> {
  const h = await startGateway(options);
  t.after(() => h.close());
  h.directory.addService(service, handler);
  for (let i = 0; i < n; i++) await h.directory.startReplica(service.name);
  assert.equal((await call(`${h.gateway.url}/${service.name}/warm`)).status, 200);
  assert.equal(h.gateway.stats().replicas.filter((r) => r.ready).length, n);
  return h;
}

function tierOf(h: GatewayHarness, id: string | undefined): string | undefined {
  return h.gateway.stats().replicas.find((r) => r.id === id)?.tier;
}

test('a refused connection: GET is retried once on another replica, the refuser ejected', async (t) => {
  const h = await withReplicas(t, aService('svc'), 2);
  const [a, b] = h.directory.list('svc');
  await h.directory.crash(a!);
  // Two random choices: within 20 requests one lands on the crashed replica (p of not ≈ 1e-6).
  for (let i = 0; i < 20 && h.gateway.stats().retries === 0; i++) {
    const r = await call(`${h.gateway.url}/svc/x`);
    assert.equal(r.status, 200);
    assert.equal(r.body.replica, b!.id);
  }
  assert.equal(h.gateway.stats().retries, 1);
  assert.equal(tierOf(h, a!.id), 'ejected');
  for (let i = 0; i < 5; i++) assert.equal((await call(`${h.gateway.url}/svc/x`)).status, 200);
  assert.equal(h.gateway.stats().retries, 1, 'an ejected replica is not chosen again');
  assert.equal(h.gateway.stats().requests.upstreamFailed, 0);
});

test('a refused connection on the only replica is a 502', async (t) => {
  const h = await withReplicas(t, aService('svc'), 1);
  await h.directory.crash(h.directory.list('svc')[0]!);
  const r = await call(`${h.gateway.url}/svc/x`);
  assert.equal(r.status, 502);
  assert.equal(r.body.error.code, 'UPSTREAM_FAILED');
  assert.equal(h.gateway.stats().requests.upstreamFailed, 1);
});

test('a POST with a body is never retried: 502 when its replica refuses', async (t) => {
  const h = await withReplicas(t, aService('svc'), 2);
  const [a, b] = h.directory.list('svc');
  await h.directory.crash(a!);
  let failed = 0;
  for (let i = 0; i < 20 && failed === 0; i++) {
    const r = await call(`${h.gateway.url}/svc/x`, { method: 'POST', body: '{"n":1}' });
    if (r.status === 502) failed++;
    else assert.equal(r.body.replica, b!.id);
  }
  assert.equal(failed, 1);
  assert.equal(h.gateway.stats().retries, 0);
});

test('soft limit: a slow replica is degraded, used only when no healthy replica is left', async (t) => {
  const delays = new Map<string, number>();
  const h = await withReplicas(
    t,
    aService('svc', { latency: { softMs: 40, hardMs: 2_000 } }),
    2,
    (req, res, replica) => {
      req.resume();
      res.setHeader('content-type', 'application/json');
      setTimeout(() => res.end(JSON.stringify({ replica })), delays.get(replica) ?? 0);
    },
  );
  const [a, b] = h.directory.list('svc');
  delays.set(a!.id, 120);
  for (let i = 0; i < 20 && tierOf(h, a!.id) !== 'degraded'; i++) await call(`${h.gateway.url}/svc/x`);
  assert.equal(tierOf(h, a!.id), 'degraded');
  const before = a!.hits;
  for (let i = 0; i < 10; i++) assert.equal((await call(`${h.gateway.url}/svc/x`)).body.replica, b!.id);
  assert.equal(a!.hits, before, 'a degraded replica is not chosen while a healthy one has room');

  await h.directory.crash(b!);
  const r = await call(`${h.gateway.url}/svc/x`);
  assert.equal(r.status, 200);
  assert.equal(r.body.replica, a!.id, 'the degraded replica serves when no healthy one is left');
});

test('hard limit: one response above it ejects the replica until a probe passes', async (t) => {
  const delays = new Map<string, number>();
  const h = await withReplicas(
    t,
    aService('svc', { latency: { softMs: 1_000, hardMs: 100 } }),
    2,
    (req, res, replica) => {
      req.resume();
      res.setHeader('content-type', 'application/json');
      setTimeout(() => res.end(JSON.stringify({ replica })), delays.get(replica) ?? 0);
    },
    { probeIntervalMs: 150 },
  );
  const [a] = h.directory.list('svc');
  delays.set(a!.id, 250);
  for (let i = 0; i < 20 && tierOf(h, a!.id) !== 'ejected'; i++) await call(`${h.gateway.url}/svc/x`);
  assert.equal(tierOf(h, a!.id), 'ejected');
  delays.delete(a!.id);
  // Its health path answers at once: the next periodic probe readmits it.
  await waitUntil(() => tierOf(h, a!.id) === 'healthy');
});

test('idle replicas are released one at a time down to the minimum', async (t) => {
  const h = await withReplicas(t, aService('svc', { minReplicas: 1, idleTimeoutMs: 150 }), 3, undefined, {
    idleCheckIntervalMs: 60,
  });
  await waitUntil(() => h.directory.releaseCalls.length === 2);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(h.directory.releaseCalls.length, 2, 'never below minReplicas');
  assert.equal(h.directory.list('svc').length, 1);
  assert.equal(h.gateway.stats().replicas.length, 1);
  assert.equal((await call(`${h.gateway.url}/svc/x`)).status, 200);
});

test('a failed periodic probe ejects a replica', async (t) => {
  const h = await withReplicas(t, aService('svc'), 2, undefined, { probeIntervalMs: 80 });
  const [a] = h.directory.list('svc');
  await h.directory.crash(a!);
  await waitUntil(() => tierOf(h, a!.id) === 'ejected');
  for (let i = 0; i < 5; i++) assert.equal((await call(`${h.gateway.url}/svc/x`)).status, 200);
  assert.equal(h.gateway.stats().retries, 0, 'the probe ejected it before any request was sent there');
});

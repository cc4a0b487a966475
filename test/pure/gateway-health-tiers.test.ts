/**
 * @module PhysarumSM's health tiers of one replica (gateway/health-tiers.ts) and the gateway's
 * option checks: pure, no sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGatewayOptions, GATEWAY_DEFAULTS, ReplicaHealth } from '../../gateway/index.js';

const LIMITS = { softMs: 50, hardMs: 200 };

test('the EWMA (α = 0.1) of latency sorts a replica into healthy, degraded and back', () => {
  const h = new ReplicaHealth();
  h.recordResponse(10, LIMITS);
  assert.deepEqual([h.tier, h.ewmaMs], ['healthy', 10]);
  h.recordResponse(150, LIMITS); // 0.1·150 + 0.9·10 = 24
  assert.equal(h.ewmaMs, 24);
  assert.equal(h.tier, 'healthy');
  for (let i = 0; i < 10; i++) h.recordResponse(150, LIMITS);
  assert.equal(h.tier, 'degraded');
  for (let i = 0; i < 30; i++) h.recordProbe(true, 5, LIMITS);
  assert.equal(h.tier, 'healthy');
});

test('one response above hardMs, a failed probe or a refused connection ejects until a probe passes', () => {
  for (const breach of [
    (h: ReplicaHealth) => h.recordResponse(250, LIMITS),
    (h: ReplicaHealth) => h.recordProbe(false, 1, LIMITS),
    (h: ReplicaHealth) => h.recordConnectFailure(),
  ]) {
    const h = new ReplicaHealth();
    h.recordResponse(10, LIMITS);
    breach(h);
    assert.equal(h.tier, 'ejected');
    h.recordResponse(1, LIMITS);
    assert.equal(h.tier, 'ejected', 'requests do not readmit');
    h.recordProbe(true, 3, LIMITS);
    assert.deepEqual([h.tier, h.ewmaMs], ['healthy', 3], 'a passing probe readmits and restarts the average');
  }
});

test('without latency limits only failures demote', () => {
  const h = new ReplicaHealth();
  h.recordResponse(10_000, undefined);
  assert.equal(h.tier, 'healthy');
});

test('options: defaults applied, bad values named', () => {
  const o = compileGatewayOptions({ port: 0, apiToken: 't' });
  assert.equal(o.coldStartBudgetMs, GATEWAY_DEFAULTS.coldStartBudgetMs);
  assert.equal(o.readinessBackoffMs, 200);
  assert.equal(o.readinessBackoffMaxMs, 1_000);
  assert.ok(Object.isFrozen(o));
  assert.throws(() => compileGatewayOptions({ port: 0, apiToken: '' }), /apiToken/);
  assert.throws(() => compileGatewayOptions({ port: 70_000, apiToken: 't' }), /port/);
  assert.throws(
    () => compileGatewayOptions({ port: 0, apiToken: 't', maxInFlightPerReplica: 0 }),
    /maxInFlight/,
  );
  assert.throws(
    () =>
      compileGatewayOptions({ port: 0, apiToken: 't', readinessBackoffMs: 500, readinessBackoffMaxMs: 100 }),
    /readinessBackoffMaxMs/,
  );
});

/**
 * @module A worker's `lastHeartbeatAt` moves with its heartbeats (user-trial bug: it stayed at
 * the join, so a healthy worker looked stale). Heartbeats take no durable write: the FrontEnd
 * merges the GlobalManager's in-memory `lastSeenAt` into the view (here the GlobalManager runs in
 * the FrontEnd's process; test/integration/worker-last-heard-split.test.ts: another process).
 * A stopped worker's time stays at its last message, also once it is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../support/control-plane-harness.js';
import { lastHeardScenario, type View } from '../support/last-heard-scenario.js';

test('all-in-one: lastHeartbeatAt advances with heartbeats and stops with the worker', async () => {
  const c = await startCluster({ workers: [{ workerId: 'w1' }, { workerId: 'w2' }] });
  try {
    await lastHeardScenario(c, async () => (await c.api('GET', '/api/v1/workers')).body as View[]);
    const one = await c.api('GET', '/api/v1/workers/w1');
    assert.ok(Date.now() - Date.parse(one.body.lastHeartbeatAt) < 2_000, JSON.stringify(one.body));
  } finally {
    await c.close();
  }
});

/**
 * @module A FrontEnd whose GlobalManager runs in another control plane (real MongoDB and Redis:
 * separate planes share records through them) asks the GlobalManager over the command link when
 * each worker was last heard from, so `lastHeartbeatAt` moves with heartbeats there too; with no
 * GlobalManager answering, the listing still answers at once with the records' (join) times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane } from '../../cli/control-plane.js';
import { silentLogger } from '../../core/log/logger.js';
import { freePort, startCluster, waitFor } from '../support/control-plane-harness.js';
import { HEARTBEAT_MS, lastHeardScenario, type View } from '../support/last-heard-scenario.js';
import { sleep } from '../support/link-peers.js';

test('FrontEnd in another control plane: the GlobalManager is asked over the command link', async () => {
  const c = await startCluster({ realBackends: true, workers: [{ workerId: 'w1' }, { workerId: 'w2' }] });
  const port = await freePort();
  const fe = await startControlPlane(
    { ...c.config, http: { ...c.config.http, port }, gateway: { ...c.config.gateway, port: 0 } },
    ['frontend'],
    silentLogger(),
    { token: c.token },
  );
  try {
    const get = async (): Promise<View[]> => {
      const res = await fetch(`${fe.url}/api/v1/workers`, {
        headers: { authorization: `Bearer ${c.token}` },
      });
      assert.equal(res.status, 200);
      return (await res.json()) as View[];
    };
    await lastHeardScenario(c, get);
  } finally {
    await fe.close();
    await c.close();
  }
});

test('FrontEnd in another control plane: no GlobalManager answer leaves the join time, never an error', async () => {
  const c = await startCluster({ realBackends: true, workers: [{ workerId: 'w1' }] });
  const port = await freePort();
  // A FrontEnd pointed at an endpoint where no GlobalManager listens: its query goes unanswered.
  const nobody = `tcp://127.0.0.1:${await freePort()}`;
  const fe = await startControlPlane(
    {
      ...c.config,
      http: { ...c.config.http, port },
      gateway: { ...c.config.gateway, port: 0 },
      cluster: { ...c.config.cluster, managerEndpoint: nobody },
    },
    ['frontend'],
    silentLogger(),
    { token: c.token },
  );
  try {
    const joined = await waitFor('w1 listed', async () => {
      const w = ((await c.api('GET', '/api/v1/workers')).body as View[]).find((v) => v.id === 'w1');
      return w?.rtt !== undefined ? w : undefined;
    });
    await sleep(HEARTBEAT_MS * 3);
    const started = Date.now();
    const res = await fetch(`${fe.url}/api/v1/workers`, { headers: { authorization: `Bearer ${c.token}` } });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started < 1_500, `the listing waited ${Date.now() - started} ms`);
    const w = ((await res.json()) as View[]).find((v) => v.id === 'w1');
    assert.ok(w && w.rtt === undefined, JSON.stringify(w));
    assert.ok(
      Date.parse(w.lastHeartbeatAt as string) < Date.parse(joined.lastHeartbeatAt as string),
      'the record time (the join)',
    );
  } finally {
    await fe.close();
    await c.close();
  }
});

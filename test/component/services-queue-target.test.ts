/**
 * @module The autoscaler's queue-length target on the in-process control plane (issue 12, item 4;
 * docs/design/services.md): a leader with its queue sampler reading a fake probe, simulated
 * workers. N items in the queue scale the service to `ceil(N / target)` within 3 periods; the
 * gateways' in-flight reports do not count for it; once the queue drains the count comes down
 * after `downPeriods` periods wanting fewer; and the service view shows the queue.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeQueueLengthProbe } from '../../core/services/queue-length-probe.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';

const PERIOD = 300;

interface View {
  desired: number;
  replicas: { job: string; state: string }[];
  autoscale: { queue?: { redisList?: string }; lastLoad: number | null } | null;
}

describe('the queue-length target on the in-process control plane', { timeout: 60_000 }, () => {
  let c: Cluster;
  const probe = new FakeQueueLengthProbe();
  const queue = { redisList: 'work:in' };

  before(async () => {
    c = await startCluster({
      queueProbe: probe,
      overrides: { services: { autoscaleTickMs: 50 } },
      workers: [{ workerId: 'qt-w1', coreIds: [0, 1, 2, 3, 4, 5, 6, 7] }],
    });
    await waitFor('the worker joined', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
    );
  });

  after(async () => {
    await c?.api('DELETE', '/api/v1/services/consumer').catch(() => undefined);
    await c?.close();
  });

  const view = async (): Promise<View> => (await c.api('GET', '/api/v1/services/consumer')).body as View;
  const desiredIs = (n: number) => async (): Promise<true | undefined> =>
    (await view()).desired === n ? true : undefined;

  test('N items reach ceil(N / target) within 3 periods; draining scales down after downPeriods', async (t) => {
    const res = await c.api('POST', '/api/v1/services', {
      name: 'consumer',
      image: 'busybox',
      port: 8080,
      cores: 1,
      memory: '16m',
      maxReplicas: 6,
      autoscale: { target: 2, queue, periodMs: PERIOD, maxStep: 4, coolDownMs: 0, downPeriods: 3 },
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual((await view()).autoscale?.queue, queue);

    // A gateway's in-flight report for it is another unit: it does not count.
    await c.plane.control.propose({
      kind: 'service-load',
      source: 'test-gateway',
      periodMs: 10_000,
      samples: [{ name: 'consumer', inFlight: 100 }],
    });
    await new Promise((r) => setTimeout(r, 3 * PERIOD));
    assert.equal((await view()).desired, 0, 'in-flight requests do not drive a queue target');

    const t0 = Date.now();
    probe.set(queue, 7); // ceil(7 / 2) = 4
    await waitFor('4 desired', desiredIs(4), 10_000, 20);
    const periods = (Date.now() - t0) / PERIOD;
    t.diagnostic(`0 → 4 desired in ${periods.toFixed(2)} periods of ${PERIOD} ms`);
    assert.ok(periods <= 3, `took ${periods.toFixed(2)} periods`);
    await waitFor('4 running', async () =>
      (await view()).replicas.filter((r) => r.state === 'running').length === 4 ? true : undefined,
    );
    assert.equal((await view()).autoscale?.lastLoad, 7);

    // Holds under the same length.
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) {
      seen.add((await view()).desired);
      await new Promise((r) => setTimeout(r, PERIOD / 2));
    }
    assert.deepEqual([...seen], [4]);

    const drained = Date.now();
    probe.set(queue, 0);
    await waitFor('scaled to zero', desiredIs(0), 10_000, 20);
    const after = (Date.now() - drained) / PERIOD;
    t.diagnostic(`4 → 0 desired ${after.toFixed(2)} periods after the queue drained`);
    // The first period that sees 0 starts the streak; the third in a row scales down.
    assert.ok(after >= 2, `scaled down after only ${after.toFixed(2)} periods`);
    assert.ok(after <= 3 + 2, `took ${after.toFixed(2)} periods`);
    await waitFor('no replica left', async () => ((await view()).replicas.length === 0 ? true : undefined));
    assert.ok((probe.reads.get('list:work:in') ?? 0) > 5);
  });
});

/**
 * @module The autoscaler on the in-process control plane (issue 12, item 4): a leader, the
 * gateway, simulated workers. Load is driven with `service-load` intents (what the gateway
 * sends; simulated replicas have no ports, so no request could reach them): a step load reaches
 * its target within 3 periods and holds it, the count comes down once the load ends; on a full
 * worker the higher-priority service takes the cores of the lower one, which recovers once the
 * load ends. A standby decides nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/clock/clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { Autoscaler } from '../../job-manager/autoscaler.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';

const PERIOD = 300;

interface View {
  desired: number;
  replicas: { job: string; state: string; unplacedReason: string | null }[];
  autoscale: { lastLoad: number | null } | null;
}

describe('the autoscaler on the in-process control plane', { timeout: 120_000 }, () => {
  let c: Cluster;
  /** The load each service reports, sent every period by a fake gateway while set. */
  const loads = new Map<string, number>();
  let reporting: NodeJS.Timeout | undefined;

  before(async () => {
    c = await startCluster({
      gateway: true,
      overrides: { services: { autoscaleTickMs: 50 } },
      workers: [{ workerId: 'as-w1', coreIds: [0, 1] }],
    });
    await waitFor('the worker joined', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
    );
    reporting = setInterval(() => {
      const samples = [...loads].map(([name, inFlight]) => ({ name, inFlight }));
      void c.plane.control
        .propose({ kind: 'service-load', source: 'test-gateway', periodMs: PERIOD, samples })
        .catch(() => undefined);
    }, PERIOD);
  });

  after(async () => {
    clearInterval(reporting);
    for (const name of loads.keys())
      await c?.api('DELETE', `/api/v1/services/${name}`).catch(() => undefined);
    await c?.close();
  });

  const create = async (name: string, extra: Record<string, unknown>): Promise<void> => {
    const res = await c.api('POST', '/api/v1/services', {
      name,
      image: 'busybox',
      port: 8080,
      cores: 1,
      memory: '16m',
      ...extra,
    });
    assert.equal(res.status, 201, res.text);
    loads.set(name, 0);
  };
  const view = async (name: string): Promise<View> =>
    (await c.api('GET', `/api/v1/services/${name}`)).body as View;
  const running = async (name: string): Promise<number> =>
    (await view(name)).replicas.filter((r) => r.state === 'running').length;

  test('a step load reaches its target within 3 periods, holds it, and comes down after', async (t) => {
    await create('step', {
      maxReplicas: 6,
      autoscale: { target: 2, periodMs: PERIOD, maxStep: 2, coolDownMs: 0, downPeriods: 2 },
    });
    const w2 = await c.addWorker({ workerId: 'as-w2', coreIds: [0, 1, 2, 3, 4, 5, 6, 7] });
    const t0 = Date.now();
    loads.set('step', 10); // ceil(10 / 2) = 5: 0 → 2 → 4 → 5
    await waitFor(
      '5 desired',
      async () => ((await view('step')).desired === 5 ? true : undefined),
      10_000,
      20,
    );
    const periods = (Date.now() - t0) / PERIOD;
    t.diagnostic(`0 → 5 desired in ${periods.toFixed(2)} periods of ${PERIOD} ms`);
    assert.ok(periods <= 3 + 1, `took ${periods.toFixed(2)} periods (one more for the first report to land)`);
    await waitFor('5 running', async () => ((await running('step')) === 5 ? true : undefined));
    // Holds: no change over 6 more periods of the same load.
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      seen.add((await view('step')).desired);
      await new Promise((r) => setTimeout(r, PERIOD / 2));
    }
    assert.deepEqual([...seen], [5], 'no oscillation under a constant load');
    assert.equal((await view('step')).autoscale?.lastLoad, 10);
    loads.set('step', 0);
    await waitFor(
      'scaled to zero',
      async () => ((await view('step')).desired === 0 ? true : undefined),
      10_000,
    );
    await waitFor('no replica left', async () =>
      (await view('step')).replicas.length === 0 ? true : undefined,
    );
    loads.delete('step');
    await c.api('DELETE', '/api/v1/services/step');
    await w2.close();
    await c.api('DELETE', '/api/v1/workers/as-w2');
    // The next test needs a full cluster: the one 2-core worker only.
    await waitFor(
      'as-w2 gone',
      async () =>
        ((await c.api('GET', '/api/v1/workers')).body as { id: string; state: string }[]).some(
          (w) => w.id === 'as-w2' && w.state === 'ready',
        )
          ? undefined
          : true,
      15_000,
    );
  });

  test('on a full worker the higher priority takes the cores; the lower recovers when its load ends', async () => {
    const auto = { target: 1, periodMs: PERIOD, maxStep: 2, coolDownMs: 0, downPeriods: 2 };
    await create('low', { priority: 0, maxReplicas: 2, autoscale: auto });
    await create('high', { priority: 10, maxReplicas: 2, autoscale: auto });
    loads.set('low', 2);
    await waitFor('low runs 2', async () => ((await running('low')) === 2 ? true : undefined));
    loads.set('high', 2);
    await waitFor('high runs 2', async () => ((await running('high')) === 2 ? true : undefined), 15_000);
    const low = await view('low');
    assert.equal(low.desired, 0, 'low gave its cores up');
    // While high holds the cores, low stays down (held, not flapping).
    for (let i = 0; i < 6; i++) {
      assert.equal(await running('high'), 2);
      await new Promise((r) => setTimeout(r, PERIOD / 2));
    }
    loads.set('high', 0);
    await waitFor('low recovers to 2', async () => ((await running('low')) === 2 ? true : undefined), 15_000);
    assert.equal((await view('high')).desired, 0);
    const consistency = await c.api('GET', '/api/v1/manager/consistency');
    assert.equal(consistency.status, 200, consistency.text);
  });

  test('a JobManager that does not lead decides nothing', async () => {
    const proposed: unknown[] = [];
    const a = Autoscaler.create(
      { maxReplicas: 10 },
      {
        leader: { view: () => undefined, propose: (i) => (proposed.push(i), Promise.resolve({ ok: true })) },
        clock: systemClock,
        logger: silentLogger(),
      },
    );
    assert.deepEqual(await a.tick(), []);
    assert.deepEqual(proposed, []);
  });
});

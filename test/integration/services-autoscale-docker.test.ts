/**
 * @module The autoscaler on real containers (issue 12, item 4, "Show it"): busybox `httpd`
 * replicas whose CGI script sleeps 1 s, so requests in flight are real demand, reached through
 * the gateway's real sockets; the gateway reports its load to the leader, which runs the law.
 * (a) a step from 0 to 4 concurrent slow clients reaches the target (ceil(4 / 2) = 2 replicas)
 * within 3 periods and does not change while the load holds; (b) on a full cluster (this host's
 * cores, 1-core replicas, at most 2 per service) a higher-priority service takes the cores of a
 * lower one, which gets them back once the higher one's load ends. Unique service names; every
 * container is removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { LABELS } from '../../core/model/index.js';
import { dockerClientFor } from '../../worker/docker-runtime.js';
import { waitFor, type Cluster } from '../support/control-plane-harness.js';
import { closeDockerGatewayCluster, startDockerGatewayCluster } from '../support/docker-gateway-cluster.js';
import { SERVICES, uniqueName } from '../support/services.js';

const docker = dockerClientFor(SERVICES.dockerHost);
const PERIOD = 1000;

/**
 * busybox httpd with a CGI script that answers after 1 s. Not exec'd: the shell stops httpd on
 * SIGTERM, so a stopped replica frees its core at once instead of after Docker's grace period.
 */
const SLOW_HTTPD = [
  'sh',
  '-c',
  [
    'mkdir -p /tmp/w/cgi-bin && echo ok > /tmp/w/index.html',
    // CRLF after the CGI headers: Node's HTTP parser (the gateway's) refuses bare LF.
    String.raw`printf '%s\n' '#!/bin/sh' 'sleep 1' 'printf "Content-Type: text/plain\r\n\r\nslow\n"' > /tmp/w/cgi-bin/slow`,
    'chmod +x /tmp/w/cgi-bin/slow',
    'httpd -f -p 8080 -h /tmp/w & trap "kill $! 2>/dev/null; exit 0" TERM; wait',
  ].join(' && '),
];

interface View {
  desired: number;
  replicas: { job: string; state: string }[];
}

/** `n` clients each sending one slow request after another until stopped. */
function clients(
  url: string,
  token: string,
  n: number,
): { stop(): Promise<void>; statuses: Map<number, number> } {
  let stopped = false;
  const statuses = new Map<number, number>();
  const loops = Array.from({ length: n }, async () => {
    while (!stopped) {
      const status = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
        .then(async (r) => (await r.text(), r.status))
        .catch(() => 0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
  });
  return {
    statuses,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

describe('the autoscaler on real containers', { timeout: 300_000 }, () => {
  let c: Cluster;
  const workerId = uniqueName('rswarm-it-as');
  const services: string[] = [];
  const running: { stop(): Promise<void> }[] = [];

  before(async () => {
    c = await startDockerGatewayCluster(workerId, {
      overrides: {
        gateway: { port: 0, loadReportMs: 500 },
        services: { autoscaleTickMs: 100 },
      },
    });
  });

  after(async () => {
    for (const r of running) await r.stop();
    await closeDockerGatewayCluster(c, workerId, services);
  });

  async function createService(prefix: string, extra: Record<string, unknown>): Promise<string> {
    const name = uniqueName(prefix);
    services.push(name);
    const res = await c.api('POST', '/api/v1/services', {
      name,
      image: SERVICES.testImage,
      command: SLOW_HTTPD,
      port: 8080,
      cores: 1,
      memory: '16m',
      maxReplicas: 2,
      idleTimeoutMs: 600_000,
      ...extra,
    });
    assert.equal(res.status, 201, res.text);
    return name;
  }
  const view = async (name: string): Promise<View> =>
    (await c.api('GET', `/api/v1/services/${name}`)).body as View;
  const runningCount = async (name: string): Promise<number> =>
    (await view(name)).replicas.filter((r) => r.state === 'running').length;
  const load = (name: string, n: number) => {
    const l = clients(`${c.plane.gatewayUrl}/${name}/cgi-bin/slow`, c.token, n);
    running.push(l);
    return l;
  };
  async function removeService(name: string): Promise<void> {
    await c.api('DELETE', `/api/v1/services/${name}`);
    await waitFor(
      `no container of ${name} left`,
      async () => {
        const left = await docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.worker}=${workerId}`] },
        });
        return left.some((i) => (i.Labels[LABELS.job] ?? '').startsWith(`svc-${name}-`)) ? undefined : true;
      },
      30_000,
    );
  }

  test('(a) a step from 0 to 4 slow clients reaches 2 replicas within 3 periods and holds', async (t) => {
    assert.ok(cpus().length >= 2, 'needs 2 cores');
    const name = await createService('as-step', {
      autoscale: { target: 2, periodMs: PERIOD, maxStep: 1, coolDownMs: 0, downPeriods: 3 },
    });
    const t0 = Date.now();
    const l = load(name, 4);
    await waitFor(
      '2 desired',
      async () => ((await view(name)).desired === 2 ? true : undefined),
      3 * PERIOD,
      50,
    );
    const desiredAt = (Date.now() - t0) / PERIOD;
    await waitFor(
      '2 running',
      async () => ((await runningCount(name)) === 2 ? true : undefined),
      30_000,
      100,
    );
    const runningAt = (Date.now() - t0) / PERIOD;
    t.diagnostic(
      `desired 2 after ${desiredAt.toFixed(2)} periods, both running after ${runningAt.toFixed(2)}`,
    );
    // No oscillation while the load holds: 6 periods of the same count.
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      seen.add((await view(name)).desired);
      await new Promise((r) => setTimeout(r, PERIOD / 4));
    }
    assert.deepEqual([...seen], [2], 'the count held still under the constant load');
    await l.stop();
    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(l.statuses))}`);
    assert.ok((l.statuses.get(200) ?? 0) > 20, 'the slow requests were answered');
    // Down after `downPeriods` periods without load (plus the report that says so).
    await waitFor(
      'back to 0',
      async () => ((await view(name)).desired === 0 ? true : undefined),
      8 * PERIOD,
      100,
    );
    await removeService(name);
  });

  test('(b) on a full cluster the higher priority wins the cores; the lower recovers after', async (t) => {
    const auto = { target: 1, periodMs: PERIOD, maxStep: 2, coolDownMs: 0, downPeriods: 2 };
    const low = await createService('as-low', { priority: 0, autoscale: auto });
    const high = await createService('as-high', { priority: 10, autoscale: auto });
    const lowLoad = load(low, 2);
    await waitFor(
      'low runs 2 (the cluster is full)',
      async () => ((await runningCount(low)) === 2 ? true : undefined),
      30_000,
      100,
    );
    const t0 = Date.now();
    const highLoad = load(high, 2);
    await waitFor(
      'high runs 2',
      async () => ((await runningCount(high)) === 2 ? true : undefined),
      60_000,
      100,
    );
    const wonAt = (Date.now() - t0) / 1000;
    assert.equal(await runningCount(low), 0, 'low gave up both cores');
    // While high is loaded it keeps them.
    for (let i = 0; i < 8; i++) {
      assert.equal(await runningCount(high), 2);
      await new Promise((r) => setTimeout(r, PERIOD / 4));
    }
    await highLoad.stop();
    const t1 = Date.now();
    await waitFor(
      'low recovers to 2',
      async () => ((await runningCount(low)) === 2 ? true : undefined),
      60_000,
      100,
    );
    const recoveredAt = (Date.now() - t1) / 1000;
    t.diagnostic(
      `high ran 2 after ${wonAt.toFixed(1)} s; low back to 2 ${recoveredAt.toFixed(1)} s after high's load ended`,
    );
    assert.equal((await view(high)).desired, 0);
    await lowLoad.stop();
    await removeService(high);
    await removeService(low);
  });
});

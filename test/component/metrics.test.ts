/**
 * @module Metrics end to end (issue 13, item 5): an in-process control plane with simulated
 * workers and the gateway; jobs submitted through the API show up on `/metrics` by state, with
 * placements, unplaced codes, round samples, worker and capacity totals, worker-link messages,
 * leader status, gateway outcomes and HTTP durations labelled by route template. Also the
 * standalone `/metrics` endpoint of a process without a FrontEnd.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { serveMetrics } from '../../cli/metrics-server.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';

/** One sample of the text format: name, labels, value. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text format (enough of it for these metrics: no escapes in values). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels` (undefined if none). */
function value(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const hits = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(hits.length <= 1, `${name} ${JSON.stringify(labels)} names one series, found ${hits.length}`);
  return hits[0]?.value;
}

function job(name: string, tasks: number, cores: number, run = 60) {
  return {
    name,
    tasks: Array.from({ length: tasks }, (_, i) => ({
      name: `t${i + 1}`,
      image: 'busybox',
      cores,
      memory: '64m',
      runSeconds: run,
    })),
  };
}

const MIB64 = 64 * 1024 * 1024;

describe('metrics (in-process control plane, simulated workers)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({
      gateway: true,
      workers: [
        { workerId: 'w1', coreIds: [0, 1, 2, 3] },
        { workerId: 'w2', coreIds: [0, 1, 2, 3] },
      ],
    });
    await waitFor(
      'workers to join',
      async () => ((await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined),
      60_000,
    );
  });
  after(async () => c.close());

  test('/metrics has every family with values that match the API', async () => {
    // Two jobs fill both workers, one waits for capacity, one can never fit.
    for (const j of [job('fill-a', 2, 2), job('fill-b', 1, 4), job('waits', 1, 4), job('too-big', 1, 16)])
      assert.equal((await c.api('POST', '/api/v1/jobs', j)).status, 202, j.name);
    const states = await waitFor(
      'jobs to settle',
      async () => {
        const names = ['fill-a', 'fill-b', 'waits', 'too-big'];
        const views = await Promise.all(names.map((n) => c.api('GET', `/api/v1/jobs/${n}`)));
        const s = views.map((v) => v.body?.state as string | undefined);
        const settled = s[0] === 'running' && s[1] === 'running' && s[2] === 'waiting' && s[3] === 'failed';
        return settled && views[2]?.body?.unplacedReason ? s : undefined;
      },
      60_000,
    );
    assert.deepEqual(states, ['running', 'running', 'waiting', 'failed']);
    await fetch(`${c.plane.gatewayUrl as string}/no-such-service/`);

    // Heartbeats come every 200 ms: the jobs can settle before the first one arrives.
    const scrape = async () => parseMetrics(await (await fetch(`${c.url}/metrics`)).text());
    await waitFor('a heartbeat counted', async () =>
      (value(await scrape(), 'rswarm_worker_link_messages_total', { type: 'heartbeat', direction: 'in' }) ??
        0) > 0
        ? true
        : undefined,
    );
    const res = await fetch(`${c.url}/metrics`);
    assert.equal(res.status, 200);
    const m = parseMetrics(await res.text());

    // Jobs by state, as the API lists them.
    for (const state of ['waiting', 'running', 'failed', 'finished']) {
      const page = await c.api('GET', `/api/v1/jobs?status=${state}&limit=1000`);
      assert.equal(value(m, 'rswarm_jobs', { state }), page.body.items.length, `jobs ${state}`);
    }
    assert.equal(value(m, 'rswarm_queue_depth'), 1);
    assert.ok((value(m, 'rswarm_placements_total') ?? 0) >= 3, 'three tasks placed');
    assert.ok((value(m, 'rswarm_unplaced_total', { code: 'NO_CAPACITY' }) ?? 0) >= 1);
    assert.ok((value(m, 'rswarm_unplaced_total', { code: 'NEVER_FITS' }) ?? 0) >= 1);
    assert.equal(value(m, 'rswarm_unplaced_total', { code: 'PIN_REQUIRED' }), 0, 'every code exported');
    assert.ok((value(m, 'rswarm_scheduling_round_duration_seconds_count') ?? 0) >= 1);
    assert.ok((value(m, 'rswarm_scheduling_round_duration_seconds_sum') ?? -1) >= 0);
    // Workers and capacity: both workers full.
    assert.equal(value(m, 'rswarm_workers', { state: 'ready' }), 2);
    assert.equal(value(m, 'rswarm_workers', { state: 'lost' }), 0);
    assert.equal(value(m, 'rswarm_cores_booked'), 8);
    assert.equal(value(m, 'rswarm_cores_free'), 0);
    assert.equal(value(m, 'rswarm_memory_booked_bytes'), 3 * MIB64);
    assert.equal(value(m, 'rswarm_memory_free_bytes'), 2 * 4 * 1024 ** 3 - 3 * MIB64);
    // Leader status.
    assert.equal(value(m, 'rswarm_job_manager_leading'), 1);
    assert.ok((value(m, 'rswarm_job_manager_term') ?? 0) >= 1);
    // Worker link at the GlobalManager.
    assert.ok(
      (value(m, 'rswarm_worker_link_messages_total', { type: 'heartbeat', direction: 'in' }) ?? 0) > 0,
    );
    assert.ok((value(m, 'rswarm_worker_link_messages_total', { type: 'join', direction: 'in' }) ?? 0) >= 2);
    assert.ok(
      (value(m, 'rswarm_worker_link_messages_total', { type: 'dispatch', direction: 'in' }) ?? 0) >= 1,
    );
    assert.ok(
      (value(m, 'rswarm_worker_link_messages_total', { type: 'assign', direction: 'out' }) ?? 0) >= 1,
    );
    // Gateway.
    const gw = m.filter((s) => s.name === 'rswarm_gateway_requests_total');
    assert.equal(gw.length, 8, 'every outcome exported');
    assert.equal(
      gw.reduce((n, s) => n + s.value, 0),
      1,
      JSON.stringify(gw),
    );
    assert.equal(value(m, 'rswarm_gateway_cold_starts_total'), 0);
    // HTTP durations by route template and status, never by raw URL.
    const http = m.filter((s) => s.name === 'rswarm_http_request_duration_seconds_count');
    const jobReads = http.find(
      (s) =>
        s.labels['route'] === '/api/v1/jobs/{name}' &&
        s.labels['method'] === 'GET' &&
        s.labels['status'] === '200',
    );
    assert.ok(jobReads && jobReads.value >= 4, 'GET /api/v1/jobs/{name} 200 counted');
    assert.equal(jobReads.labels['status_class'], '2xx');
    assert.ok(
      http.some(
        (s) =>
          s.labels['route'] === '/api/v1/jobs' &&
          s.labels['method'] === 'POST' &&
          s.labels['status'] === '202',
      ),
    );
    assert.ok(
      !http.some((s) => /fill-a|waits|status=/.test(s.labels['route'] ?? '')),
      'no raw URL in a route label',
    );
    assert.ok(
      m.some((s) => s.name === 'process_cpu_user_seconds_total'),
      'the default metrics stay',
    );
    assert.ok(
      m.some((s) => s.name === 'rswarm_worker_rtt_seconds'),
      'the round trips stay',
    );
  });

  test('a 404 is counted under the route "other" with its status', async () => {
    assert.equal((await c.api('GET', '/no/such/path/123')).status, 404);
    const m = parseMetrics(await (await fetch(`${c.url}/metrics`)).text());
    const other = m.find(
      (s) =>
        s.name === 'rswarm_http_request_duration_seconds_count' &&
        s.labels['route'] === 'other' &&
        s.labels['status'] === '404',
    );
    assert.ok(other && other.value >= 1);
    assert.equal(other.labels['status_class'], '4xx');
  });
});

test('a process without a FrontEnd serves its registry at /metrics, and nothing else', async () => {
  const registry = new Registry();
  new Counter({ name: 'rswarm_test_total', help: 'A test counter.', registers: [registry] }).inc(3);
  const served = await serveMetrics(registry, '127.0.0.1', 0);
  try {
    const res = await fetch(served.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(value(parseMetrics(await res.text()), 'rswarm_test_total'), 3);
    assert.equal((await fetch(served.url.replace('/metrics', '/other'))).status, 404);
  } finally {
    await served.close();
  }
});

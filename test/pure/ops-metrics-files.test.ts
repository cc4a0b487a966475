/**
 * @module The shipped monitoring files (README "Metrics"): the compose profile `metrics`, the
 * Prometheus scrape config and the Grafana dashboard agree with each other and with the metric
 * names the code exports, so a renamed metric cannot leave an empty panel behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as gateway from '../../gateway/gateway-metrics.js';
import * as http from '../../frontend/http-metrics.js';
import * as latency from '../../global-manager/latency-metrics.js';
import * as link from '../../global-manager/link-metrics.js';
import * as leader from '../../job-manager/leader-metrics.js';

const root = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Every metric name the metrics modules export as a `…_METRIC` constant. */
const exported = new Set(
  [gateway, http, latency, link, leader].flatMap((m) =>
    Object.entries(m)
      .filter(([k, v]) => k.endsWith('_METRIC') && typeof v === 'string')
      .map(([, v]) => v as string),
  ),
);

test('every rswarm_ metric the dashboard queries is one the code exports', () => {
  const dashboard = JSON.parse(read('ops/grafana/rswarm-dashboard.json'));
  const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
  assert.ok(exprs.length >= 20);
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\brswarm_\w+/g)].map((m) => m[0])));
  for (const name of used) {
    const base = name.replace(/_(bucket|count|sum)$/, '');
    assert.ok(exported.has(name) || exported.has(base), `${name} is exported`);
  }
  // The families of issue 13, item 5, each on some panel.
  for (const family of [
    leader.JOBS_METRIC,
    leader.QUEUE_DEPTH_METRIC,
    leader.ROUND_DURATION_METRIC,
    leader.PLACEMENTS_METRIC,
    leader.UNPLACED_METRIC,
    leader.WORKERS_METRIC,
    leader.CORES_BOOKED_METRIC,
    leader.MEMORY_FREE_METRIC,
    leader.LEADING_METRIC,
    http.HTTP_DURATION_METRIC,
    link.LINK_MESSAGES_METRIC,
    gateway.GATEWAY_REQUESTS_METRIC,
    gateway.GATEWAY_COLD_STARTS_METRIC,
  ])
    assert.ok(
      [...used].some((u) => u.startsWith(family)),
      `a panel shows ${family}`,
    );
  const uid = parse(read('ops/grafana/provisioning/datasources/prometheus.yml')).datasources[0].uid;
  for (const p of dashboard.panels) if (p.type !== 'row') assert.equal(p.datasource.uid, uid, p.title);
});

test('the compose profile runs Prometheus and Grafana on the shipped files, scraping compose services', () => {
  const compose = parse(read('docker-compose.yml'));
  for (const name of ['prometheus', 'grafana']) {
    const svc = compose.services[name];
    assert.deepEqual(svc.profiles, ['metrics'], name);
    for (const v of svc.volumes as string[]) {
      const host = v.split(':')[0] as string;
      assert.ok(existsSync(join(root, host)), `${name} mounts ${host}`);
    }
  }
  const prometheus = parse(read('ops/prometheus.yml'));
  const port = Number(compose['x-rswarm'].environment.RSWARM_METRICS_PORT);
  for (const job of prometheus.scrape_configs) {
    for (const target of job.static_configs[0].targets as string[]) {
      const [host, p] = target.split(':') as [string, string];
      assert.ok(compose.services[host], `${target} is a compose service`);
      assert.equal(Number(p), host === 'frontend' ? 5001 : port, target);
    }
  }
});

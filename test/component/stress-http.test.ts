/**
 * @module The HTTP load shape (`rswarm stress http`) against an in-process HTTP server playing the
 * gateway (`/<service>/<path>`) and the API (`GET /api/v1/services/{name}`): every planned request
 * is sent at its time and recorded with its latency and status (503s and the client cap too),
 * replicas are sampled, and the report (CSV, JSON, the replicas-and-latency chart, report.html)
 * is written — by the runner and by the spawned CLI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  resolveRateProfile,
  runHttpLoad,
  summariseHttpLoad,
  writeHttpLoadReport,
} from '../../stress-client/http-load/index.js';

const TOKEN = 'stress-http-token';
const tmp = mkdtempSync(join(tmpdir(), 'rswarm-stress-http-'));
let server: Server;
let base: string;
let started = 0;
const seen: { path: string; auth: string | undefined }[] = [];

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/api/v1/services/')) {
      // One replica after the first half second, two after one second.
      const t = Date.now() - started;
      const n = t < 500 ? 0 : t < 1000 ? 1 : 2;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          name: 'web',
          desired: Math.max(1, n),
          replicas: Array.from({ length: n }, (_, i) => ({ job: `svc-web-${i}`, state: 'running' })),
        }),
      );
      return;
    }
    seen.push({ path: url, auth: req.headers.authorization });
    if (url.startsWith('/web/busy')) {
      res.statusCode = 503;
      res.setHeader('retry-after', '1');
      res.end('busy');
      return;
    }
    if (url.startsWith('/web/slow')) {
      setTimeout(() => res.end('slow'), 300);
      return;
    }
    setTimeout(() => res.end('hello'), 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

test('steady load: every request sent at its time, latency and status recorded, replicas sampled', async () => {
  seen.length = 0;
  started = Date.now();
  const result = await runHttpLoad({
    gatewayUrl: base,
    apiUrl: base,
    service: 'web',
    path: '/index.html',
    token: TOKEN,
    profile: resolveRateProfile({ kind: 'steady', rate: 20, durationSeconds: 1.5 }),
    sampleEveryMs: 250,
  });
  assert.equal(result.requests.length, 30);
  assert.ok(result.requests.every((r) => r.status === 200));
  assert.ok(result.requests.every((r) => (r.latencyMs ?? 0) >= 19 && (r.firstByteMs ?? 0) >= 19));
  assert.ok(seen.every((s) => s.path === '/web/index.html' && s.auth === `Bearer ${TOKEN}`));
  // Open loop: the last request goes out near 1.45 s, not after 30 × 20 ms back to back.
  assert.ok(result.durationMs >= 1400 && result.durationMs < 3000, `${result.durationMs} ms`);
  assert.ok(result.replicas.length >= 5, `${result.replicas.length} samples`);
  assert.equal(result.replicas[0]?.replicas, 0);
  assert.equal(result.replicas.at(-1)?.running, 2);
  const s = summariseHttpLoad(result);
  assert.equal(s.ok, 30);
  assert.equal(s.peakReplicas, 2);
  assert.ok(s.latencyMs && s.latencyMs.p50 >= 19 && s.latencyMs.p99 >= s.latencyMs.p50);
});

test('503s are recorded by status; past maxInFlight requests are skipped, not queued', async () => {
  const busy = await runHttpLoad({
    gatewayUrl: base,
    apiUrl: base,
    service: 'web',
    path: 'busy',
    token: TOKEN,
    profile: resolveRateProfile({ kind: 'steady', rate: 10, durationSeconds: 0.5 }),
  });
  assert.deepEqual(summariseHttpLoad(busy).byStatus, { '503': 5 });
  const capped = await runHttpLoad({
    gatewayUrl: base,
    apiUrl: base,
    service: 'web',
    path: '/slow',
    token: TOKEN,
    maxInFlight: 4,
    profile: resolveRateProfile({
      kind: 'burst',
      burstSize: 10,
      burstEverySeconds: 10,
      durationSeconds: 0.2,
    }),
  });
  const s = summariseHttpLoad(capped);
  assert.equal(s.ok, 4);
  assert.equal(s.skipped, 6);
});

test('a request past its timeout is recorded as a timeout', async () => {
  const r = await runHttpLoad({
    gatewayUrl: base,
    apiUrl: base,
    service: 'web',
    path: '/slow',
    token: TOKEN,
    requestTimeoutMs: 50,
    profile: resolveRateProfile({ kind: 'steady', rate: 2, durationSeconds: 1 }),
  });
  assert.equal(summariseHttpLoad(r).timeouts, 2);
});

test('the report: CSVs, result and summary, the replicas-and-latency chart, one self-contained page', async () => {
  started = Date.now();
  const result = await runHttpLoad({
    gatewayUrl: base,
    apiUrl: base,
    service: 'web',
    token: TOKEN,
    profile: resolveRateProfile({ kind: 'step', rates: [5, 20], stepSeconds: 1 }),
    sampleEveryMs: 500,
  });
  const out = join(tmp, 'report');
  const report = await writeHttpLoadReport(result, out);
  for (const f of [
    'requests.csv',
    'replicas.csv',
    'result.json',
    'summary.json',
    'replicas-latency.svg',
    'replicas-latency.png',
    'report.html',
  ])
    assert.ok(existsSync(join(out, f)), f);
  assert.equal(readFileSync(join(out, 'requests.csv'), 'utf8').trim().split('\n').length, 26);
  const svg = readFileSync(join(out, 'replicas-latency.svg'), 'utf8');
  assert.match(svg, /replicas/);
  assert.match(svg, /latency per send second/);
  const html = readFileSync(report.html, 'utf8');
  assert.match(html, /<svg/);
  assert.doesNotMatch(html, /<script/);
  assert.equal(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).ok, 25);
});

test('rswarm stress http (spawned CLI): summary printed, report written; bad flags exit 2 naming the flag', async () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'stress', 'http', ...args], {
        cwd: process.cwd(),
        env: { ...process.env, RSWARM_CONFIG: '', RSWARM_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const out = join(tmp, 'cli');
  const ok = await run([
    '--service',
    'web',
    '--gateway',
    base,
    '--url',
    base,
    '--profile',
    'burst',
    '--rate',
    '5',
    '--burst-size',
    '10',
    '--burst-every',
    '1s',
    '--duration',
    '2s',
    '--out',
    out,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /service web: 30 requests, 30 2xx/);
  assert.match(ok.stdout, /report: .*report\.html/);
  assert.ok(existsSync(join(out, 'replicas-latency.png')));
  const bad = await run(['--service', 'web', '--profile', 'step', '--rates', '1,x']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rates: x/);
  const missed = await run([
    '--service',
    'web',
    '--gateway',
    base,
    '--url',
    base,
    '--path',
    '/slow',
    '--rate',
    '2',
    '--duration',
    '1s',
    '--max-p99-latency',
    '10ms',
    '--out',
    join(tmp, 'missed'),
  ]);
  assert.equal(missed.code, 1, missed.stderr);
  assert.match(missed.stderr, /threshold missed: latency p99/);
});

/**
 * Benchmark of the services gateway (issue 12, "Show it"), one JSON line per part:
 *
 * - `gateway-added-latency`: the same small GET sent directly to an upstream and through the
 *   gateway, alternating one by one on keep-alive connections, p50 and p99 side by side and
 *   their difference (goal: added p50 ≤ 1 ms).
 * - `gateway-cold-100`: 100 concurrent requests to a service with no replica; replicas started
 *   (must be 1) and the requests' p50/p99, with the replica's start delay stated.
 *
 * Upstreams of these two are real HTTP servers in this process (the gateway tests' fake
 * directory). Then the Docker parts (bench/gateway-docker.ts, BENCH_DOCKER=0 skips them): on a
 * real control plane with a Docker worker, cold start to first byte against a bare `docker run`,
 * 100 concurrent cold requests, and the added latency over the real replica container. They need
 * the test services: `eval "$(bash scripts/test-services.sh)"`.
 *
 *   tsx bench/gateway-bench.ts   (BENCH_REQUESTS=3000 BENCH_COLD_START_MS=500 BENCH_DOCKER=1
 *                                 BENCH_COLD_ROUNDS=10 BENCH_DOCKER_REQUESTS=500)
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock/clock.js';
import { silentLogger } from '../core/log/logger.js';
import { Gateway } from '../gateway/index.js';
import { aService, FakeReplicaDirectory } from '../test/support/fake-replica-directory.js';
import { dockerParts } from './gateway-docker.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 3000);
const WARMUP = Math.min(300, REQUESTS);
const COLD_START_MS = Number(process.env['BENCH_COLD_START_MS'] ?? 500);
const COLD_CONCURRENCY = 100;
const TOKEN = 'bench-token';
const BODY = JSON.stringify({ ok: true, pad: 'x'.repeat(200) });

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** One GET; resolves with its duration to the last byte, in ms. */
function timedGet(url: string, agent: Agent | false): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - start, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function startGateway(directory: FakeReplicaDirectory): Promise<Gateway> {
  const gateway = await Gateway.create(
    { port: 0, apiToken: TOKEN, probeIntervalMs: 60_000, idleCheckIntervalMs: 60_000 },
    { directory, clock: systemClock, logger: silentLogger() },
  );
  await gateway.run();
  return gateway;
}

async function addedLatency(): Promise<Record<string, unknown>> {
  const directory = new FakeReplicaDirectory();
  directory.addService(aService('bench'), (req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(BODY);
  });
  await directory.startReplica('bench');
  const gateway = await startGateway(directory);
  // The direct path gets its own server with the same handler, so neither shares sockets.
  const upstream = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(BODY);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const directUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/x?q=1`;
  const gatewayUrl = `${gateway.url}/bench/x?q=1`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const direct: number[] = [];
  const viaGateway: number[] = [];
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    // Alternate so both paths see the same machine state (GC, CPU contention) at the same time.
    const d = await timedGet(directUrl, agent);
    const g = await timedGet(gatewayUrl, agent);
    if (g.status !== 200 || d.status !== 200) throw new Error(`status ${g.status}/${d.status}`);
    if (i >= WARMUP) {
      direct.push(d.ms);
      viaGateway.push(g.ms);
    }
  }
  agent.destroy();
  await gateway.close();
  await new Promise<void>((r) => upstream.close(() => r()));
  await directory.close();
  direct.sort((a, b) => a - b);
  viaGateway.sort((a, b) => a - b);
  return {
    bench: 'gateway-added-latency',
    requests: REQUESTS,
    directP50Ms: round(pct(direct, 50)),
    directP99Ms: round(pct(direct, 99)),
    gatewayP50Ms: round(pct(viaGateway, 50)),
    gatewayP99Ms: round(pct(viaGateway, 99)),
    addedP50Ms: round(pct(viaGateway, 50) - pct(direct, 50)),
    addedP99Ms: round(pct(viaGateway, 99) - pct(direct, 99)),
    goalAddedP50Ms: 1,
  };
}

async function coldConcurrent(): Promise<Record<string, unknown>> {
  const directory = new FakeReplicaDirectory();
  directory.addService(aService('cold'));
  directory.startDelayMs = COLD_START_MS;
  const gateway = await startGateway(directory);
  const replies = await Promise.all(
    Array.from({ length: COLD_CONCURRENCY }, (_, i) => timedGet(`${gateway.url}/cold/r${i}`, false)),
  );
  const ms = replies.map((r) => r.ms).sort((a, b) => a - b);
  const result = {
    bench: 'gateway-cold-100',
    concurrency: COLD_CONCURRENCY,
    replicaStartDelayMs: COLD_START_MS,
    replicasStarted: directory.list('cold').length,
    scaleUpCalls: directory.scaleUpCalls.length,
    ok: replies.filter((r) => r.status === 200).length,
    p50Ms: round(pct(ms, 50)),
    p99Ms: round(pct(ms, 99)),
  };
  await gateway.close();
  await directory.close();
  return result;
}

console.log(JSON.stringify(await addedLatency()));
console.log(JSON.stringify(await coldConcurrent()));
if ((process.env['BENCH_DOCKER'] ?? '1') !== '0')
  for (const line of await dockerParts()) console.log(JSON.stringify(line));

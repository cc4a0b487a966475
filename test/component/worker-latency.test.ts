/**
 * @module The latency monitor (issue 12, item 5) on real zeromq sockets: a secured GlobalManager
 * (CurveZMQ, ZAP, routing proofs; the leader is a fake that answers joins) and real worker agents
 * on the simulated runtime. Each worker's round trip appears on `/metrics` with its `worker`
 * label; a pong forged in another worker's name or unasked-for counts for nothing; a worker
 * that does not announce `ping` (an older one) is never pinged and still works; a gone worker's
 * series disappears after the (here shortened) retention.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { systemClock } from '../../core/clock/clock.js';
import type { ControlIntent, ControlLink } from '../../core/control-state/index.js';
import { createLogger, silentLogger } from '../../core/log/logger.js';
import { PROTOCOL_VERSION } from '../../core/protocol/index.js';
import { Keyring, type ServerLinkSecurity } from '../../core/security/index.js';
import { createMemoryStores } from '../../core/store/index.js';
import { ZmqWorkerCommandLink } from '../../core/transport/index.js';
import { Discovery } from '../../discovery/discovery.js';
import { createApp } from '../../frontend/create-app.js';
import { GlobalManager } from '../../global-manager/global-manager.js';
import {
  RTT_EWMA_METRIC,
  RTT_METRIC,
  registerWorkerLatencyMetrics,
} from '../../global-manager/latency-metrics.js';
import { SimulatedRuntime } from '../../worker/simulated-runtime.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import { startCluster, waitFor } from '../support/control-plane-harness.js';
import { listen } from '../support/http-harness.js';
import { connectPeer, enrolAt, joinOf, newKeys, sleep, type Peer } from '../support/link-peers.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'join-token-for-tests';
const HEARTBEAT_MS = 50;
const TIMEOUT_MS = 400;
const RETENTION_MS = 300;

async function cluster() {
  const intents: ControlIntent[] = [];
  const control = {
    propose: (intent: ControlIntent) => {
      intents.push(intent);
      return Promise.resolve(intent.kind === 'worker-joined' ? { ok: true, desired: [] } : { ok: true });
    },
    query: () => Promise.reject(new Error('no queries here')),
  } as unknown as ControlLink;
  const serverKeys = newKeys();
  const security: ServerLinkSecurity = {
    keyPair: serverKeys,
    controlPublicKeys: [serverKeys.publicKey],
    keyring: Keyring.inMemory(),
  };
  const deps = { control, clock: systemClock, logger: silentLogger() };
  /** What the GlobalManager logged at warn and above, one parsed line each. */
  const warnings: { msg: string; peer?: string; type?: string }[] = [];
  const gmLogger = createLogger('warn', { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const gm = await GlobalManager.create(
    {
      endpoint: 'tcp://127.0.0.1:0',
      enrolEndpoint: 'tcp://127.0.0.1:0',
      joinToken: TOKEN,
      security,
      heartbeatIntervalMs: HEARTBEAT_MS,
      heartbeatTimeoutMs: TIMEOUT_MS,
      usageSampleIntervalMs: 0,
      latencyRetentionMs: RETENTION_MS,
    },
    { ...deps, logger: gmLogger, stores: createMemoryStores() },
  );
  gm.run();
  const discovery = await Discovery.create({ endpoint: 'tcp://127.0.0.1:0', security }, deps);
  discovery.run();
  const registry = new Registry();
  registerWorkerLatencyMetrics(registry, () => gm.workerLatency());
  const http = await listen(
    createApp({
      token: 'api-token',
      jobRules: TEST_RULES,
      logger: silentLogger(),
      handlers: {},
      metrics: registry,
    }),
  );
  const agents: WorkerAgent[] = [];
  const peers: Peer[] = [];
  const agent = async (workerId: string): Promise<WorkerAgent> => {
    const a = WorkerAgent.create(
      {
        workerId,
        joinToken: TOKEN,
        managerEndpoint: gm.endpoint,
        enrolEndpoint: gm.enrolEndpoint,
        discoveryEndpoint: discovery.endpoint,
        security: { keyPair: newKeys(), serverPublicKey: serverKeys.publicKey },
        heartbeatIntervalMs: HEARTBEAT_MS,
        runtime: 'simulated',
        coreIds: [0, 1],
        memoryBytes: 1024 ** 3,
      },
      { runtime: new SimulatedRuntime(systemClock), clock: systemClock, logger: silentLogger() },
    );
    agents.push(a);
    await a.run();
    await waitFor(`${workerId} active`, () => Promise.resolve(a.getState() === 'active' || undefined), 5000);
    return a;
  };
  const metricsText = async (): Promise<string> => {
    const res = await http.request('GET', '/metrics');
    assert.equal(res.status, 200);
    return res.text;
  };
  const close = async (): Promise<void> => {
    for (const p of peers) p.close();
    for (const a of agents) await a.close();
    await http.close();
    await discovery.close();
    await gm.close();
  };
  return { gm, serverKeys, intents, warnings, agent, peers, metricsText, close };
}

const seriesOf = (text: string, metric: string, worker: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{worker="${worker}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

test('each worker has its round trip and EWMA on /metrics; a gone worker is dropped after the retention', async () => {
  const c = await cluster();
  try {
    const w1 = await c.agent('w1');
    await c.agent('w2');
    const rows = await waitFor(
      'samples from both workers',
      () => {
        const r = c.gm.workerLatency();
        return Promise.resolve(r.filter((x) => x.samples >= 3).length === 2 ? r : undefined);
      },
      5000,
    );
    for (const r of rows) {
      assert.ok(r.lastMs >= 0 && r.lastMs < 1000, `${r.workerId}: ${r.lastMs} ms`);
      assert.ok(r.ewmaMs >= 0 && r.ewmaMs < 1000, `${r.workerId}: EWMA ${r.ewmaMs} ms`);
      assert.equal(r.gone, false);
    }
    const text = await c.metricsText();
    assert.match(text, new RegExp(`# TYPE ${RTT_METRIC} gauge`));
    assert.match(text, new RegExp(`# TYPE ${RTT_EWMA_METRIC} gauge`));
    for (const w of ['w1', 'w2']) {
      assert.ok(seriesOf(text, RTT_METRIC, w) !== undefined, `${RTT_METRIC} for ${w}:\n${text}`);
      const ewma = seriesOf(text, RTT_EWMA_METRIC, w);
      assert.ok(ewma !== undefined && ewma >= 0 && ewma < 1, `${RTT_EWMA_METRIC} for ${w}: ${ewma}`);
    }

    // w1 leaves (as a removal does): kept while the retention runs, then gone from /metrics.
    assert.equal(await c.gm.tellLeave('w1'), true);
    await w1.whenClosed();
    assert.equal(c.gm.workerLatency().find((r) => r.workerId === 'w1')?.gone, true);
    await waitFor(
      'w1 dropped',
      async () => (seriesOf(await c.metricsText(), RTT_EWMA_METRIC, 'w1') === undefined ? true : undefined),
      5000,
    );
    const after = await c.metricsText();
    assert.equal(seriesOf(after, RTT_METRIC, 'w1'), undefined);
    assert.ok(seriesOf(after, RTT_EWMA_METRIC, 'w2') !== undefined, 'w2 is still measured');
  } finally {
    await c.close();
  }
});

test('a FrontEnd in another process reads the round trips over the command link; a worker cannot ask', async () => {
  const c = await cluster();
  const link = new ZmqWorkerCommandLink(c.gm.endpoint, silentLogger(), {
    keyPair: c.serverKeys,
    serverPublicKey: c.serverKeys.publicKey,
  });
  try {
    await c.agent('w1');
    await waitFor('a sample', () => Promise.resolve(c.gm.workerLatency()[0]), 5000);
    const rows = await link.workerLatency(2000);
    assert.deepEqual(
      rows.map((r) => [r.workerId, r.gone]),
      [['w1', false]],
    );
    // The same gauges, fed over the link, as `rswarm frontend` without a GlobalManager has them.
    const registry = new Registry();
    registerWorkerLatencyMetrics(registry, () => link.workerLatency(2000));
    assert.ok(seriesOf(await registry.metrics(), RTT_EWMA_METRIC, 'w1') !== undefined);
    // A worker's key may not read them.
    const keyPair = newKeys();
    assert.equal(
      (await enrolAt(c.gm.enrolEndpoint as string, 'spy', TOKEN, keyPair, c.serverKeys.publicKey))?.type,
      'enrolled',
    );
    const spy = connectPeer(c.gm.endpoint, {
      principal: 'spy',
      curve: { keyPair, serverPublicKey: c.serverKeys.publicKey },
    });
    c.peers.push(spy);
    await spy.send(joinOf('spy', TOKEN, keyPair.publicKey));
    await waitFor('spy synced', () => Promise.resolve(spy.received.find((m) => m.type === 'sync')), 5000);
    await spy.send({ type: 'latencyQuery', v: PROTOCOL_VERSION, id: 'q1' });
    await sleep(200);
    assert.equal(
      spy.received.find((m) => m.type === 'latencyReport'),
      undefined,
    );
    assert.ok(c.warnings.some((w) => w.peer === 'spy' && w.type === 'latencyQuery'));
  } finally {
    await link.close();
    await c.close();
  }
});

test('a lost worker is dropped after the retention too', async () => {
  const c = await cluster();
  try {
    const w1 = await c.agent('w1');
    await waitFor('a sample', () => Promise.resolve(c.gm.workerLatency()[0]), 5000);
    await w1.close(); // silent from now on: lost after the heartbeat timeout
    await waitFor(
      'w1 lost',
      () => Promise.resolve(c.intents.some((i) => i.kind === 'worker-lost') || undefined),
      5000,
    );
    await waitFor('w1 dropped', () => Promise.resolve(c.gm.workerLatency().length === 0 || undefined), 5000);
  } finally {
    await c.close();
  }
});

test('forged or unasked-for pongs are no samples; a worker without the ping feature is never pinged', async () => {
  const c = await cluster();
  try {
    await c.agent('w1');
    // An older worker: its join announces no features. It joins, heartbeats and is not lost.
    const keyPair = newKeys();
    assert.equal(
      (await enrolAt(c.gm.enrolEndpoint as string, 'old', TOKEN, keyPair, c.serverKeys.publicKey))?.type,
      'enrolled',
    );
    const old = connectPeer(c.gm.endpoint, {
      principal: 'old',
      curve: { keyPair, serverPublicKey: c.serverKeys.publicKey },
    });
    c.peers.push(old);
    await old.send(joinOf('old', TOKEN, keyPair.publicKey));
    await waitFor('old synced', () => Promise.resolve(old.received.find((m) => m.type === 'sync')), 5000);
    // It answers nothing, but forges pongs for w1 and for itself.
    for (let i = 0; i < 8; i++) {
      await old.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId: 'old', at: Date.now() });
      await old.send({ type: 'pong', v: PROTOCOL_VERSION, workerId: 'w1', id: String(i) });
      await old.send({ type: 'pong', v: PROTOCOL_VERSION, workerId: 'old', id: String(i) });
      await sleep(HEARTBEAT_MS);
    }
    assert.deepEqual(
      old.received.filter((m) => m.type === 'ping'),
      [],
      'a worker that did not announce ping is never pinged',
    );
    const rows = c.gm.workerLatency();
    assert.deepEqual(
      rows.map((r) => r.workerId),
      ['w1'],
    );
    assert.ok(!c.intents.some((i) => i.kind === 'worker-lost'), 'the old worker is alive');
    // A pong in w1's name needs w1's key: refused before its id is even compared.
    assert.ok(
      c.warnings.some(
        (w) => w.msg === 'refused a message: not authorized' && w.peer === 'old' && w.type === 'pong',
      ),
      JSON.stringify(c.warnings),
    );
  } finally {
    await c.close();
  }
});

test("all-in-one: GET /api/v1/workers shows each worker's rtt, and /metrics its gauges", async () => {
  const c = await startCluster({ workers: [{ workerId: 'w1' }, { workerId: 'w2' }] });
  try {
    const workers = await waitFor(
      'rtt on both worker views',
      async () => {
        const res = await c.api('GET', '/api/v1/workers');
        const list = res.body as { id: string; rtt?: { lastMs: number; ewmaMs: number; samples: number } }[];
        return list.length === 2 && list.every((w) => w.rtt !== undefined) ? list : undefined;
      },
      10_000,
    );
    for (const w of workers) {
      assert.ok(w.rtt && w.rtt.samples >= 1 && w.rtt.ewmaMs >= 0 && w.rtt.lastMs >= 0, JSON.stringify(w));
    }
    const one = await c.api('GET', '/api/v1/workers/w1');
    assert.equal(one.status, 200);
    assert.ok(one.body.rtt, JSON.stringify(one.body));
    const metrics = await fetch(`${c.url}/metrics`).then((r) => r.text());
    for (const w of ['w1', 'w2']) assert.ok(seriesOf(metrics, RTT_EWMA_METRIC, w) !== undefined, metrics);
    assert.match(metrics, /process_cpu_user_seconds_total/, 'default metrics are still there');
  } finally {
    await c.close();
  }
});

/**
 * Micro-benchmark of the worker link: CurveZMQ against plaintext in one run, through a real
 * GlobalManager. A control peer dispatches assignments (one task each, about 400 bytes of JSON)
 * and a worker DEALER receives them: latency is one dispatch → assign at a time, throughput is
 * many in flight. Prints one JSON line per mode.
 *
 *   tsx bench/curve-bench.ts            (BENCH_MESSAGES=20000 BENCH_ROUND_TRIPS=2000)
 */
import { Dealer } from 'zeromq';
import { systemClock } from '../core/clock/clock.js';
import type { ControlIntent, ControlLink } from '../core/control-state/index.js';
import { silentLogger } from '../core/log/logger.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '../core/protocol/index.js';
import { clientSocketOptions, Keyring, type ServerLinkSecurity } from '../core/security/index.js';
import { createMemoryStores } from '../core/store/index.js';
import { ZmqDispatchLink } from '../core/transport/index.js';
import { GlobalManager } from '../global-manager/global-manager.js';
import { assignmentFor, enrolAt, newKeys } from '../test/support/link-peers.js';

const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 20_000);
const ROUND_TRIPS = Number(process.env['BENCH_ROUND_TRIPS'] ?? 2000);
const TOKEN = 'bench-token';

const control = {
  propose: (intent: ControlIntent) =>
    Promise.resolve(intent.kind === 'worker-joined' ? { ok: true, desired: [] } : { ok: true }),
  query: () => Promise.reject(new Error('no queries')),
} as unknown as ControlLink;

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(mode: 'plaintext' | 'curve'): Promise<Record<string, unknown>> {
  const serverKeys = newKeys();
  const security: ServerLinkSecurity | undefined =
    mode === 'curve'
      ? { keyPair: serverKeys, controlPublicKeys: [serverKeys.publicKey], keyring: Keyring.inMemory() }
      : undefined;
  const gm = await GlobalManager.create(
    {
      endpoint: 'tcp://127.0.0.1:0',
      joinToken: TOKEN,
      ...(security ? { security, enrolEndpoint: 'tcp://127.0.0.1:0' } : {}),
      heartbeatIntervalMs: 60_000,
      heartbeatTimeoutMs: 600_000,
      usageSampleIntervalMs: 0,
    },
    { control, stores: createMemoryStores(), clock: systemClock, logger: silentLogger() },
  );
  gm.run();
  const workerKeys = newKeys();
  if (security) {
    const enrolled = await enrolAt(gm.enrolEndpoint as string, 'w1', TOKEN, workerKeys, serverKeys.publicKey);
    if (enrolled?.type !== 'enrolled') throw new Error(`${mode}: enrolment failed`);
  }
  const worker = new Dealer({
    linger: 0,
    routingId: 'w1',
    ...(security
      ? clientSocketOptions({ keyPair: workerKeys, serverPublicKey: serverKeys.publicKey }, 'w1')
      : {}),
  });
  worker.connect(gm.endpoint);
  await worker.send(
    encodeMessage({
      type: 'join',
      v: PROTOCOL_VERSION,
      workerId: 'w1',
      joinToken: TOKEN,
      ...(security ? { publicKey: workerKeys.publicKey } : {}),
      runtime: 'simulated',
      coreIds: [0, 1],
      memoryBytes: 1024 ** 3,
      running: [],
    }),
  );
  const [synced] = await worker.receive();
  const first = decodeMessage(synced as Buffer);
  if (!first.ok || first.message.type !== 'sync') throw new Error(`${mode}: join failed`);
  const dispatch = new ZmqDispatchLink(
    gm.endpoint,
    security ? { keyPair: serverKeys, serverPublicKey: serverKeys.publicKey } : undefined,
  );
  const body = { assign: [assignmentFor('w1', 'bench')], stop: [] };

  const latencies: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = process.hrtime.bigint();
    await dispatch.dispatch(body);
    await worker.receive();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  latencies.sort((a, b) => a - b);

  const t0 = performance.now();
  const received = (async () => {
    for (let n = 0; n < MESSAGES; n++) await worker.receive();
  })();
  for (let i = 0; i < MESSAGES; i++) void dispatch.dispatch(body);
  await received;
  const seconds = (performance.now() - t0) / 1000;

  await dispatch.close();
  worker.close();
  await gm.close();
  return {
    bench: 'worker-link',
    mode,
    frameBytes: encodeMessage({ type: 'assign', v: PROTOCOL_VERSION, tasks: [assignmentFor('w1', 'bench')] })
      .length,
    messages: MESSAGES,
    seconds: Number(seconds.toFixed(3)),
    messagesPerSecond: Math.round(MESSAGES / seconds),
    roundTrips: ROUND_TRIPS,
    latencyP50Us: Math.round(pct(latencies, 50)),
    latencyP99Us: Math.round(pct(latencies, 99)),
  };
}

// Alternated, twice each, so neither mode profits alone from a warmer process.
for (const mode of ['plaintext', 'curve', 'plaintext', 'curve'] as const) {
  console.log(JSON.stringify(await run(mode)));
}

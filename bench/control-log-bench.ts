/**
 * Control-log benchmark (not a test): `npx tsx bench/control-log-bench.ts [seconds per case]`.
 *
 * Prints one JSON line per case:
 *   {"bench":"control-log","adapter":"memory|file|mongo","batch":N,"batches":…,"entries":…,
 *    "entries_per_s":…,"batches_per_s":…,"ms_per_batch":…,"round_trips_per_entry":…}
 * and one per adapter for a snapshot of 100,000 job-like items:
 *   {"bench":"control-snapshot","adapter":…,"items":…,"chunks":…,"save_ms":…,"latest_ms":…,
 *    "round_trips":…}
 *
 * Method
 * - One leader appends batches of 1, 10 and 100 entries back to back (each awaited, as the
 *   JobManager persists one applied batch before the next), for a fixed time per case (default
 *   2 s) after 20 warm-up batches. Payloads are ~300 bytes of JSON, like a task-placement event.
 * - file: a fresh directory under the OS temp dir (write + fdatasync per batch).
 * - mongo: `MONGO_URL` (default the test services' FerretDB), a throw-away database dropped at
 *   the end; skipped with a note when the server does not answer.
 * - round trips come from the adapters' own counters (DurableState.roundTrips).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import {
  createMemoryDurableState,
  openFileDurableState,
  openMongoDurableState,
  type DurableState,
  type LogEntry,
} from '../core/durable/index.js';
import { mongoUrlDatabase } from '../core/store/mongo-url.js';

const SECONDS = Number(process.argv[2] ?? 2);
const BATCH_SIZES = [1, 10, 100];
const WARM_UP_BATCHES = 20;
const SNAPSHOT_ITEMS = 100_000;
const MONGO_URL = process.env['MONGO_URL'] || 'mongodb://127.0.0.1:27017/rswarm_test';

interface Placement {
  readonly kind: 'placed';
  readonly job: string;
  readonly task: string;
  readonly worker: string;
  readonly coreIds: readonly number[];
  readonly memoryBytes: number;
  readonly note: string;
}

function payload(seq: number): Placement {
  return {
    kind: 'placed',
    job: `job-${Math.floor(seq / 4)}`,
    task: `task-${seq % 4}`,
    worker: `worker-${seq % 100}`,
    coreIds: [seq % 32, (seq + 1) % 32],
    memoryBytes: 64 * 1024 * 1024,
    note: 'x'.repeat(120),
  };
}

function batch(from: number, size: number): LogEntry<Placement>[] {
  return Array.from({ length: size }, (_, i) => ({
    seq: from + i,
    term: 1,
    at: Date.now(),
    payload: payload(from + i),
  }));
}

async function appendCase(adapter: string, state: DurableState, size: number): Promise<void> {
  const log = state.log<Placement>();
  let next = (log.lastWrittenSeq ?? 0) + 1;
  for await (const record of log.readAfter(0)) next = record.seq + 1;
  for (let i = 0; i < WARM_UP_BATCHES; i++) {
    await log.append(batch(next, size));
    next += size;
  }
  const tripsBefore = state.roundTrips;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let batches = 0;
  while (performance.now() < deadline) {
    await log.append(batch(next, size));
    next += size;
    batches++;
  }
  const seconds = (performance.now() - started) / 1000;
  const entries = batches * size;
  console.log(
    JSON.stringify({
      bench: 'control-log',
      adapter,
      batch: size,
      batches,
      entries,
      entries_per_s: Math.round(entries / seconds),
      batches_per_s: Math.round(batches / seconds),
      ms_per_batch: Number(((seconds * 1000) / batches).toFixed(3)),
      round_trips_per_entry: Number(((state.roundTrips - tripsBefore) / entries).toFixed(4)),
    }),
  );
}

async function snapshotCase(adapter: string, state: DurableState): Promise<void> {
  const items = Array.from({ length: SNAPSHOT_ITEMS }, (_, n) => ({ name: `job-${n}`, ...payload(n) }));
  const tripsBefore = state.roundTrips;
  let started = performance.now();
  const { chunks } = await state.snapshots.save({ seq: 1, term: 1, at: Date.now(), items });
  const saveMs = performance.now() - started;
  started = performance.now();
  const latest = await state.snapshots.latest();
  const latestMs = performance.now() - started;
  if (latest?.items.length !== SNAPSHOT_ITEMS) throw new Error(`${adapter}: snapshot read back wrong`);
  console.log(
    JSON.stringify({
      bench: 'control-snapshot',
      adapter,
      items: SNAPSHOT_ITEMS,
      json_mb: Number((Buffer.byteLength(JSON.stringify(items)) / 1024 ** 2).toFixed(1)),
      chunks,
      save_ms: Math.round(saveMs),
      latest_ms: Math.round(latestMs),
      round_trips: state.roundTrips - tripsBefore,
    }),
  );
}

async function runAdapter(adapter: string, open: () => Promise<DurableState>): Promise<void> {
  for (const size of BATCH_SIZES) {
    const state = await open();
    try {
      await appendCase(adapter, state, size);
    } finally {
      await state.close();
    }
  }
  const state = await open();
  try {
    await snapshotCase(adapter, state);
  } finally {
    await state.close();
  }
}

await runAdapter('memory', () => Promise.resolve(createMemoryDurableState()));

const dir = await mkdtemp(path.join(tmpdir(), 'rswarm-log-bench-'));
let dirs = 0;
try {
  await runAdapter('file', () => openFileDurableState(path.join(dir, `s${++dirs}`)));
} finally {
  await rm(dir, { recursive: true, force: true });
}

const dbName = `${mongoUrlDatabase(MONGO_URL) ?? 'rswarm'}_bench_${randomUUID().slice(0, 8)}`;
let prefixes = 0;
try {
  await runAdapter('mongo', () =>
    openMongoDurableState(MONGO_URL, {
      dbName,
      collectionPrefix: `b${++prefixes}`,
      serverSelectionTimeoutMs: 3000,
    }),
  );
} catch (err) {
  console.log(JSON.stringify({ bench: 'control-log', adapter: 'mongo', skipped: String(err) }));
} finally {
  const client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 3000 });
  await client
    .connect()
    .then((c) => c.db(dbName).dropDatabase())
    .catch(() => undefined)
    .finally(() => client.close());
}

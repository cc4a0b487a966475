import { MongoClient, type Db } from 'mongodb';
import { mongoUrlDatabase, redactMongoUrl } from '../store/mongo-url.js';
import type { DurableState } from './durable-state.js';
import { FencedLog } from './fenced-log.js';
import { MongoLogStorage, type LogDocument } from './mongo-log-storage.js';
import { MongoSnapshotStore, type ChunkDocument, type ManifestDocument } from './mongo-snapshot-store.js';
import type { SnapshotOptions } from './snapshot-store.js';

/** Options of {@link mongoDurableState}. */
export interface MongoDurableOptions extends SnapshotOptions {
  /**
   * Prefix of the three collection names: `<prefix>_log`, `<prefix>_snapshots` and
   * `<prefix>_snapshot_chunks`.
   * @defaultValue "control"
   */
  readonly collectionPrefix?: string;
}

/** Options of {@link openMongoDurableState}. */
export interface OpenMongoDurableOptions extends MongoDurableOptions {
  /**
   * Database to use.
   * @defaultValue the database named in the URL, else `rswarm`
   */
  readonly dbName?: string;
  /**
   * How long the first connection (and each operation) waits for a reachable server.
   * @defaultValue 5000
   */
  readonly serverSelectionTimeoutMs?: number;
}

const DEFAULT_PREFIX = 'control';

/**
 * The {@link DurableState} in `db`, on a client the caller owns (`close` leaves it open). The
 * chunk index serves real MongoDB; FerretDB v1 accepts it and scans anyway, which only costs at
 * start-up and pruning.
 */
export async function mongoDurableState(db: Db, options: MongoDurableOptions = {}): Promise<DurableState> {
  const prefix = options.collectionPrefix ?? DEFAULT_PREFIX;
  const chunks = db.collection<ChunkDocument>(`${prefix}_snapshot_chunks`);
  await chunks.createIndex({ snapshot: 1, index: 1 });
  const storage = new MongoLogStorage(db.collection<LogDocument>(`${prefix}_log`));
  const snapshots = new MongoSnapshotStore(
    db.collection<ManifestDocument>(`${prefix}_snapshots`),
    chunks,
    options,
  );
  return {
    log: <T>() => new FencedLog<T>(storage),
    snapshots,
    get roundTrips() {
      return storage.roundTrips + snapshots.roundTrips;
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Connects to MongoDB (or FerretDB) at `url` and returns its {@link DurableState}; `close` closes
 * the client.
 * @throws Error naming the URL (credentials redacted) when the server cannot be reached.
 */
export async function openMongoDurableState(
  url: string,
  options: OpenMongoDurableOptions = {},
): Promise<DurableState> {
  let client: MongoClient | undefined;
  let state: DurableState;
  try {
    client = new MongoClient(url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000,
      ignoreUndefined: true,
      // Polled monitoring, as for the stores (see mongo-stores.ts).
      serverMonitoringMode: 'poll',
      heartbeatFrequencyMS: 2000,
    });
    await client.connect();
    state = await mongoDurableState(client.db(options.dbName ?? mongoUrlDatabase(url) ?? 'rswarm'), options);
  } catch (err) {
    await client?.close().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot use MongoDB at ${redactMongoUrl(url)}: ${reason}`, { cause: err });
  }
  const connected = client;
  return {
    log: <T>() => state.log<T>(),
    snapshots: state.snapshots,
    get roundTrips() {
      return state.roundTrips;
    },
    close: () => connected.close(),
  };
}

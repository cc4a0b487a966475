import { MongoClient, type Db } from 'mongodb';
import { MongoComponentStore } from './mongo-component-store.js';
import { MongoJobStore, ensureJobIndexes } from './mongo-job-store.js';
import {
  MongoEventStore,
  MongoSettingsStore,
  MongoUsageStore,
  ensureLogIndexes,
} from './mongo-log-stores.js';
import { mongoUrlDatabase, redactMongoUrl } from './mongo-url.js';
import { MongoWorkerStore } from './mongo-worker-store.js';
import { writeGuardFor, type WriteGuard } from './write-guard.js';
import type { Stores } from './store-ports.js';

/** Options of {@link createMongoStores}. */
export interface MongoStoresOptions {
  /**
   * Database to use.
   * @defaultValue the database named in the URL, else `rswarm`
   */
  readonly dbName?: string;
  /**
   * How long an operation (and the first connection) waits for a reachable server before it
   * fails. Short, so /healthz and start-up report an outage instead of hanging.
   * @defaultValue 5000
   */
  readonly serverSelectionTimeoutMs?: number;
  /**
   * How conditional writes are made exclusive: `auto` takes per-document locks on FerretDB
   * (whose updates are not atomic) and relies on MongoDB's atomic updates otherwise.
   * @defaultValue "auto"
   */
  readonly writeGuard?: 'auto' | 'lock' | 'native';
}

const DEFAULT_DB = 'rswarm';
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000;

/**
 * Connects to MongoDB (or FerretDB) and returns every storage port on one client: collections
 * `jobs`, `workers`, `settings`, `events`, `usage` and `components`, with their indexes created.
 *
 * The client runs with `ignoreUndefined` so an `undefined` property is left out rather than
 * stored as `null`; records therefore come back exactly as the in-memory adapter returns them.
 *
 * @param url - a `mongodb://` or `mongodb+srv://` connection string.
 * @throws Error naming the URL (credentials redacted) when the server cannot be reached.
 */
export async function createMongoStores(url: string, options: MongoStoresOptions = {}): Promise<Stores> {
  let client: MongoClient | undefined;
  let db: Db;
  let guard: WriteGuard;
  try {
    client = new MongoClient(url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
      ignoreUndefined: true,
      // Polled server monitoring: after a FerretDB restart the streaming monitor was seen to leave
      // the pool failing every operation with the old connection's error for over a minute.
      serverMonitoringMode: 'poll',
      heartbeatFrequencyMS: 2000,
    });
    await client.connect();
    db = client.db(options.dbName ?? mongoUrlDatabase(url) ?? DEFAULT_DB);
    await db.command({ ping: 1 });
    await ensureJobIndexes(db);
    await ensureLogIndexes(db);
    guard = await writeGuardFor(db, options.writeGuard);
  } catch (err) {
    await client?.close().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot use MongoDB at ${redactMongoUrl(url)}: ${reason}`, { cause: err });
  }
  const connected = client;
  return {
    jobs: new MongoJobStore(db, guard),
    workers: new MongoWorkerStore(db, guard),
    settings: new MongoSettingsStore(db),
    events: new MongoEventStore(db),
    usage: new MongoUsageStore(db),
    components: new MongoComponentStore(db),
    ping: async () => {
      try {
        await db.command({ ping: 1 });
        return 'ok';
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
    close: () => connected.close(),
  };
}

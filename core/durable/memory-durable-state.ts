import { randomUUID } from 'node:crypto';
import type { DurableState } from './durable-state.js';
import { FencedLog } from './fenced-log.js';
import type { LogStorage, ReadLogRecord, StoredLogRecord } from './log-storage.js';
import {
  DEFAULT_KEEP_SNAPSHOTS,
  assertKeep,
  assertSnapshotMeta,
  chunkItems,
  joinChunks,
  newestFirst,
  type Snapshot,
  type SnapshotMeta,
  type SnapshotOptions,
  type SnapshotSaved,
  type SnapshotStore,
} from './snapshot-store.js';

/**
 * The in-memory {@link DurableState}: tests, and the default where nothing has to survive the
 * process. It keeps JSON text like the other adapters, so values come back as copies with JSON
 * semantics, and answers every call as they do (a taken seq stops an insert; a manifest makes a
 * snapshot). Each operation is one synchronous step, hence atomic; each counts as a round trip.
 */
export function createMemoryDurableState(options: SnapshotOptions = {}): DurableState {
  const storage = new MemoryLogStorage();
  const snapshots = new MemorySnapshotStore(options);
  return {
    log: <T>() => new FencedLog<T>(storage),
    snapshots,
    get roundTrips() {
      return storage.roundTrips + snapshots.roundTrips;
    },
    close: () => Promise.resolve(),
  };
}

/** {@link LogStorage} in a Map keyed by seq. */
export class MemoryLogStorage implements LogStorage {
  readonly #records = new Map<number, StoredLogRecord>();
  #roundTrips = 0;

  get roundTrips(): number {
    return this.#roundTrips;
  }

  insert(records: readonly StoredLogRecord[]): Promise<number> {
    this.#roundTrips++;
    let inserted = 0;
    for (const record of records) {
      if (this.#records.has(record.seq)) break;
      this.#records.set(record.seq, { ...record });
      inserted++;
    }
    return Promise.resolve(inserted);
  }

  async *scanAfter(afterSeq: number): AsyncIterable<readonly ReadLogRecord[]> {
    this.#roundTrips++;
    const page = [...this.#records.values()]
      .filter((r) => r.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .map(({ json, ...rest }): ReadLogRecord => ({ ...rest, value: JSON.parse(json) as unknown }));
    // Yield after a turn of the event loop, as a real cursor would.
    await Promise.resolve();
    if (page.length > 0) yield page;
  }

  deleteThrough(seq: number): Promise<number> {
    this.#roundTrips++;
    let deleted = 0;
    for (const key of [...this.#records.keys()]) {
      if (key <= seq) deleted += this.#records.delete(key) ? 1 : 0;
    }
    return Promise.resolve(deleted);
  }
}

interface MemoryManifest extends SnapshotMeta {
  readonly saveId: string;
  readonly chunks: number;
}

/** {@link SnapshotStore} in Maps: manifests by seq+term, chunks by save id. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #options: SnapshotOptions;
  readonly #manifests = new Map<string, MemoryManifest>();
  readonly #chunks = new Map<string, string[]>();
  readonly #saving = new Set<string>();
  #roundTrips = 0;

  constructor(options: SnapshotOptions = {}) {
    this.#options = options;
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  async save(snapshot: Snapshot): Promise<SnapshotSaved> {
    assertSnapshotMeta(snapshot);
    const meta: SnapshotMeta = { seq: snapshot.seq, term: snapshot.term, at: snapshot.at };
    const texts = chunkItems(snapshot.items, this.#options);
    const saveId = randomUUID();
    this.#saving.add(saveId);
    try {
      this.#roundTrips++;
      this.#chunks.set(saveId, texts);
      await this.#options.beforeManifest?.(meta);
      this.#roundTrips++;
      const key = `${snapshot.seq}/${snapshot.term}`;
      if (this.#manifests.has(key)) {
        this.#chunks.delete(saveId);
        return { saved: false, chunks: texts.length };
      }
      this.#manifests.set(key, { ...meta, saveId, chunks: texts.length });
      return { saved: true, chunks: texts.length };
    } finally {
      this.#saving.delete(saveId);
    }
  }

  latest(): Promise<Snapshot | undefined> {
    this.#roundTrips++;
    for (const manifest of [...this.#manifests.values()].sort(newestFirst)) {
      const texts = this.#chunks.get(manifest.saveId);
      if (texts?.length !== manifest.chunks) continue;
      this.#roundTrips++;
      const { seq, term, at } = manifest;
      return Promise.resolve({ seq, term, at, items: joinChunks(texts) });
    }
    return Promise.resolve(undefined);
  }

  prune(keep = DEFAULT_KEEP_SNAPSHOTS): Promise<number> {
    return Promise.resolve().then(() => {
      assertKeep(keep);
      this.#roundTrips++;
      const kept = new Set<string>();
      let removed = 0;
      for (const [key, manifest] of [...this.#manifests.entries()].sort(([, a], [, b]) =>
        newestFirst(a, b),
      )) {
        const complete = this.#chunks.get(manifest.saveId)?.length === manifest.chunks;
        if (complete && kept.size < keep) {
          kept.add(manifest.saveId);
        } else {
          this.#manifests.delete(key);
          removed++;
        }
      }
      for (const saveId of [...this.#chunks.keys()]) {
        if (!kept.has(saveId) && !this.#saving.has(saveId)) this.#chunks.delete(saveId);
      }
      return removed;
    });
  }
}

import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from '../store/mongo-errors.js';
import { cursorPages, insertGroups } from './cursor-pages.js';
import {
  DEFAULT_KEEP_SNAPSHOTS,
  assertKeep,
  assertSnapshotMeta,
  chunkItems,
  joinChunks,
  newestFirst,
  padNumber,
  type Snapshot,
  type SnapshotMeta,
  type SnapshotOptions,
  type SnapshotSaved,
  type SnapshotStore,
} from './snapshot-store.js';

/** The manifest of a complete snapshot; `_id` is `<seq>-<term>`, zero-padded. */
export interface ManifestDocument {
  _id: string;
  seq: number;
  term: number;
  at: number;
  /** Which save wrote the chunks (chunk documents carry it as `snapshot`). */
  saveId: string;
  chunks: number;
  items: number;
}

/** One chunk: `_id` is `<saveId>/<index>`; `json` is the JSON text of an array of items. */
export interface ChunkDocument {
  _id: string;
  snapshot: string;
  index: number;
  json: string;
}

/** Chunks per insertMany, and their JSON bytes, so one call is one command under 48 MB. */
const INSERT_DOCS = 1000;
const INSERT_BYTES = 32 * 1024 * 1024;

/**
 * {@link SnapshotStore} on MongoDB or FerretDB: chunks inserted under a fresh save id, then the
 * manifest. Manifests are keyed by seq and term, so a second save of the same point (say a
 * deposed leader's) is refused by the duplicate key and its chunks are removed; a manifest counts
 * only when all its chunks are found, so chunks a rival's prune took make it invisible, never
 * corrupt.
 */
export class MongoSnapshotStore implements SnapshotStore {
  readonly #manifests: Collection<ManifestDocument>;
  readonly #chunks: Collection<ChunkDocument>;
  readonly #options: SnapshotOptions;
  readonly #saving = new Set<string>();
  #roundTrips = 0;

  constructor(
    manifests: Collection<ManifestDocument>,
    chunks: Collection<ChunkDocument>,
    options: SnapshotOptions = {},
  ) {
    this.#manifests = manifests;
    this.#chunks = chunks;
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
      const docs = texts.map((json, index): ChunkDocument => ({
        _id: `${saveId}/${padNumber(index, 8)}`,
        snapshot: saveId,
        index,
        json,
      }));
      for (const group of insertGroups(docs, (d) => d.json.length + 96, INSERT_DOCS, INSERT_BYTES)) {
        this.#roundTrips++;
        await this.#chunks.insertMany(group, { ordered: true });
      }
      await this.#options.beforeManifest?.(meta);
      this.#roundTrips++;
      try {
        await this.#manifests.insertOne({
          _id: `${padNumber(meta.seq)}-${padNumber(meta.term, 10)}`,
          ...meta,
          saveId,
          chunks: texts.length,
          items: snapshot.items.length,
        });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        this.#roundTrips++;
        await this.#chunks.deleteMany({ snapshot: saveId });
        return { saved: false, chunks: texts.length };
      }
      return { saved: true, chunks: texts.length };
    } finally {
      this.#saving.delete(saveId);
    }
  }

  async latest(): Promise<Snapshot | undefined> {
    for (const manifest of await this.#listManifests()) {
      const texts: string[] = [];
      const cursor = this.#chunks.find({ snapshot: manifest.saveId }).sort({ index: 1 });
      for await (const page of cursorPages(cursor, () => this.#roundTrips++)) {
        for (const chunk of page) {
          if (chunk.index !== texts.length) break;
          texts.push(chunk.json);
        }
      }
      if (texts.length !== manifest.chunks) continue;
      const items = joinChunks(texts);
      if (items.length !== manifest.items) continue;
      return { seq: manifest.seq, term: manifest.term, at: manifest.at, items };
    }
    return undefined;
  }

  async prune(keep = DEFAULT_KEEP_SNAPSHOTS): Promise<number> {
    assertKeep(keep);
    const manifests = await this.#listManifests();
    // One census of the chunks (ids only) tells which manifests are complete.
    const counts = new Map<string, number>();
    const cursor = this.#chunks.find({}, { projection: { snapshot: 1 } });
    for await (const page of cursorPages(cursor, () => this.#roundTrips++)) {
      for (const chunk of page) counts.set(chunk.snapshot, (counts.get(chunk.snapshot) ?? 0) + 1);
    }
    const kept: string[] = [];
    const removed: string[] = [];
    for (const manifest of manifests) {
      if (kept.length < keep && counts.get(manifest.saveId) === manifest.chunks) kept.push(manifest.saveId);
      else removed.push(manifest._id);
    }
    if (removed.length > 0) {
      this.#roundTrips++;
      await this.#manifests.deleteMany({ _id: { $in: removed } });
    }
    const keepChunks = [...kept, ...this.#saving];
    if ([...counts.keys()].some((saveId) => !keepChunks.includes(saveId))) {
      this.#roundTrips++;
      await this.#chunks.deleteMany({ snapshot: { $nin: keepChunks } });
    }
    return removed.length;
  }

  /** Every manifest, newest first (a small collection: prune keeps it at a few documents). */
  async #listManifests(): Promise<ManifestDocument[]> {
    this.#roundTrips++;
    const manifests = await this.#manifests.find({}).toArray();
    return manifests.sort(newestFirst);
  }
}

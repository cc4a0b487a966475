/**
 * @module The snapshot port: the leader's whole live state at one log seq, saved now and then so
 * a takeover replays only the log after it. Items (e.g. 100,000 job records) are written as
 * chunks, then a manifest last: a snapshot exists only once its manifest does, so a crash mid-save
 * leaves orphan chunks that nothing reads and `prune` removes.
 */

/** Which point of the log a snapshot covers. */
export interface SnapshotMeta {
  /** The last log seq applied to the state: replay starts at `seq + 1`. */
  readonly seq: number;
  /** Term of the leader that saved it; at equal seq the higher term is the newer snapshot. */
  readonly term: number;
  readonly at: number;
}

/** A snapshot: its items are opaque JSON values, returned as `JSON.parse(JSON.stringify(item))`. */
export interface Snapshot extends SnapshotMeta {
  readonly items: readonly unknown[];
}

/** What {@link SnapshotStore.save} did. */
export interface SnapshotSaved {
  /** False when a snapshot with this seq and term already existed (nothing new was kept). */
  readonly saved: boolean;
  readonly chunks: number;
}

/**
 * Snapshots of one store. Save state only at a seq whose entries are all durable, i.e. never
 * after the leader's log handle was fenced: a deposed leader's state may hold entries the log
 * refused, and a snapshot of it would outrank the new leader's older ones.
 */
export interface SnapshotStore {
  /** Writes the chunks, then the manifest. */
  save(snapshot: Snapshot): Promise<SnapshotSaved>;
  /** The newest snapshot whose manifest and every chunk are present, or undefined. */
  latest(): Promise<Snapshot | undefined>;
  /**
   * Keeps the `keep` newest complete snapshots and removes the rest: older and incomplete
   * manifests and orphan chunks (except those of a save this store has in progress).
   * @returns how many snapshots (manifests) were removed.
   */
  prune(keep?: number): Promise<number>;
  /** Round trips to the store so far. */
  readonly roundTrips: number;
}

/** How snapshots are cut into chunks; shared by every adapter's options. */
export interface SnapshotOptions {
  /**
   * Most items per chunk.
   * @defaultValue 1000
   */
  readonly maxChunkItems?: number;
  /**
   * Approximate most bytes of JSON per chunk; an item larger than this gets a chunk of its own.
   * Well under MongoDB's 16 MiB document limit.
   * @defaultValue 4 MiB
   */
  readonly maxChunkBytes?: number;
  /**
   * Fault injection for tests: runs once the chunks are durable and before the manifest is
   * written. If it throws, `save` rejects and the chunks stay behind as orphans, exactly as
   * after a crash at that point.
   */
  readonly beforeManifest?: (meta: SnapshotMeta) => void | Promise<void>;
}

/** Default {@link SnapshotOptions.maxChunkItems}. */
export const DEFAULT_MAX_CHUNK_ITEMS = 1000;
/** Default {@link SnapshotOptions.maxChunkBytes}. */
export const DEFAULT_MAX_CHUNK_BYTES = 4 * 1024 * 1024;
/** An item whose JSON is larger cannot be stored in a MongoDB document at all. */
const MAX_ITEM_BYTES = 15 * 1024 * 1024;

/** How many snapshots `prune` keeps by default: the newest and one to fall back to. */
export const DEFAULT_KEEP_SNAPSHOTS = 2;

/**
 * Cuts items into chunks by count and by approximate byte size.
 * @returns each chunk as the JSON text of an array of its items.
 * @throws RangeError when one item's JSON exceeds 15 MiB.
 */
export function chunkItems(items: readonly unknown[], options: SnapshotOptions = {}): string[] {
  const maxItems = positive(options.maxChunkItems ?? DEFAULT_MAX_CHUNK_ITEMS, 'maxChunkItems');
  const maxBytes = positive(options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES, 'maxChunkBytes');
  const chunks: string[] = [];
  let parts: string[] = [];
  let bytes = 0;
  items.forEach((item, i) => {
    // Inside an array JSON writes `null` for what it cannot represent; do the same per item.
    const json = JSON.stringify(item) ?? 'null';
    const size = Buffer.byteLength(json);
    if (size > MAX_ITEM_BYTES) throw new RangeError(`snapshot: item ${i} is ${size} bytes of JSON`);
    if (parts.length > 0 && (parts.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 0;
    }
    parts.push(json);
    bytes += size + 1;
  });
  if (parts.length > 0) chunks.push(`[${parts.join(',')}]`);
  return chunks;
}

/** Reassembles chunk texts (in order) into items. */
export function joinChunks(chunks: readonly string[]): unknown[] {
  const items: unknown[] = [];
  for (const chunk of chunks) {
    for (const item of JSON.parse(chunk) as unknown[]) items.push(item);
  }
  return items;
}

/** Rejects a malformed snapshot header before anything is written. */
export function assertSnapshotMeta(meta: SnapshotMeta): void {
  for (const [name, value] of Object.entries({ seq: meta.seq, term: meta.term })) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`snapshot: ${name} must be an integer >= 0, got ${value}`);
    }
  }
  if (!Number.isFinite(meta.at)) throw new RangeError(`snapshot: at must be a number, got ${meta.at}`);
}

/** Orders snapshots newest first: higher seq, then higher term. */
export function newestFirst(a: SnapshotMeta, b: SnapshotMeta): number {
  return b.seq - a.seq || b.term - a.term;
}

/** A fixed-width decimal, so names and ids sort like the numbers they hold. */
export function padNumber(n: number, width = 16): string {
  return String(n).padStart(width, '0');
}

/** `keep` for prune, checked: at least one snapshot always stays. */
export function assertKeep(keep: number): number {
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new RangeError(`snapshot: prune must keep at least 1 snapshot, got ${keep}`);
  }
  return keep;
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`snapshot: ${name} must be >= 1, got ${n}`);
  return n;
}

import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
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
import { syncDirectory } from './sync-directory.js';

const SNAPSHOT = /^snap-(\d+)-(\d+)\.jsonl$/;

/** The first line of a snapshot file. */
interface SnapshotHeader extends SnapshotMeta {
  readonly chunks: number;
  readonly items: number;
}

/**
 * {@link SnapshotStore} as one file per snapshot, `snap-<seq>-<term>.jsonl`: a header line, then
 * one line per chunk. The file is written under a temp name, fsynced, and only then linked to its
 * final name (the "manifest": link fails when a snapshot of that seq and term exists, where a
 * rename would silently replace it), and the directory is fsynced. A crash mid-save leaves only a
 * `.tmp` file, which nothing reads and `prune` deletes.
 */
export class FileSnapshotStore implements SnapshotStore {
  readonly #directory: string;
  readonly #options: SnapshotOptions;
  readonly #saving = new Set<string>();
  #roundTrips = 0;

  private constructor(directory: string, options: SnapshotOptions) {
    this.#directory = directory;
    this.#options = options;
  }

  /** Opens (creating if needed) the snapshot directory. */
  static async open(directory: string, options: SnapshotOptions = {}): Promise<FileSnapshotStore> {
    await mkdir(directory, { recursive: true });
    return new FileSnapshotStore(directory, options);
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  async save(snapshot: Snapshot): Promise<SnapshotSaved> {
    assertSnapshotMeta(snapshot);
    const meta: SnapshotMeta = { seq: snapshot.seq, term: snapshot.term, at: snapshot.at };
    const chunks = chunkItems(snapshot.items, this.#options);
    const name = `snap-${padNumber(meta.seq)}-${padNumber(meta.term, 10)}.jsonl`;
    const tempName = `${name}.${randomUUID().slice(0, 8)}.tmp`;
    const temp = path.join(this.#directory, tempName);
    this.#saving.add(tempName);
    try {
      const header: SnapshotHeader = { ...meta, chunks: chunks.length, items: snapshot.items.length };
      this.#roundTrips++;
      const handle = await open(temp, 'wx');
      try {
        // One write per chunk keeps memory flat; the fsync makes them durable together.
        await handle.write(`${JSON.stringify(header)}\n`);
        for (const chunk of chunks) await handle.write(`${chunk}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#options.beforeManifest?.(meta);
      this.#roundTrips++;
      let saved = true;
      try {
        await link(temp, path.join(this.#directory, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        saved = false;
      }
      await unlink(temp);
      await syncDirectory(this.#directory);
      return { saved, chunks: chunks.length };
    } finally {
      this.#saving.delete(tempName);
    }
  }

  async latest(): Promise<Snapshot | undefined> {
    for (const { name } of await this.#list()) {
      const snapshot = await this.#read(name);
      if (snapshot) return snapshot;
    }
    return undefined;
  }

  async prune(keep = DEFAULT_KEEP_SNAPSHOTS): Promise<number> {
    assertKeep(keep);
    const snapshots = await this.#list();
    let removed = 0;
    // A final name only appears after its file was complete and fsynced, so every listed file is
    // complete: the newest `keep` are kept without reading them.
    for (const { name } of snapshots.slice(keep)) {
      await unlink(path.join(this.#directory, name));
      removed++;
    }
    this.#roundTrips++;
    for (const name of await readdir(this.#directory)) {
      if (name.endsWith('.tmp') && !this.#saving.has(name)) await unlink(path.join(this.#directory, name));
    }
    await syncDirectory(this.#directory);
    return removed;
  }

  /** Snapshot files, newest first. */
  async #list(): Promise<Array<SnapshotMeta & { name: string }>> {
    this.#roundTrips++;
    const found: Array<SnapshotMeta & { name: string }> = [];
    for (const name of await readdir(this.#directory)) {
      const match = SNAPSHOT.exec(name);
      if (match) found.push({ name, seq: Number(match[1]), term: Number(match[2]), at: 0 });
    }
    return found.sort(newestFirst);
  }

  /** A snapshot file's content, or undefined when it does not hold what its header promises. */
  async #read(name: string): Promise<Snapshot | undefined> {
    this.#roundTrips++;
    const text = await readFile(path.join(this.#directory, name), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    try {
      const header = JSON.parse(lines[0] ?? '') as SnapshotHeader;
      const chunks = lines.slice(1);
      if (chunks.length !== header.chunks) return undefined;
      const items = joinChunks(chunks);
      if (items.length !== header.items) return undefined;
      return { seq: header.seq, term: header.term, at: header.at, items };
    } catch {
      return undefined;
    }
  }
}

import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { LogStorage, ReadLogRecord, StoredLogRecord } from './log-storage.js';
import { padNumber } from './snapshot-store.js';
import { syncDirectory } from './sync-directory.js';

/** A segment is closed and a new one started once it reaches this size. */
const SEGMENT_BYTES = 64 * 1024 * 1024;
const SEGMENT = /^log-(\d+)(?:-\d+)?\.jsonl$/;

/** One log file and the seqs it holds. */
interface Segment {
  readonly file: string;
  minSeq: number;
  maxSeq: number;
  bytes: number;
}

/**
 * {@link LogStorage} as append-only JSON-lines segment files (`log-<first seq>.jsonl`), one line
 * per record. A batch is appended with one write and made durable with one fdatasync.
 *
 * A kill -9 during a write leaves a prefix of the batch: its complete lines are durable records
 * (the next leader replays them, as it would on MongoDB), and a torn last line without its newline
 * is cut off when the directory is opened, before anything else is appended. A complete line that
 * does not parse is corruption and stops the open.
 *
 * The seqs present are kept in memory, so a taken seq is refused without reading the files. One
 * process owns the directory (DirectoryLock); its operations run one at a time.
 */
export class FileLogStorage implements LogStorage {
  readonly #directory: string;
  readonly #segments: Segment[];
  readonly #seqs: Set<number>;
  #active: FileHandle | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #roundTrips = 0;
  #closed = false;

  private constructor(directory: string, segments: Segment[], seqs: Set<number>) {
    this.#directory = directory;
    this.#segments = segments;
    this.#seqs = seqs;
  }

  /** Opens (creating if needed) the log in `directory`, cutting a torn last line. */
  static async open(directory: string): Promise<FileLogStorage> {
    await mkdir(directory, { recursive: true });
    const names = (await readdir(directory)).sort();
    for (const name of names.filter((n) => n.endsWith('.tmp'))) await unlink(path.join(directory, name));
    const segments: Segment[] = [];
    const seqs = new Set<number>();
    const logNames = names.filter((n) => SEGMENT.test(n));
    for (const [i, name] of logNames.entries()) {
      const file = path.join(directory, name);
      const text = await readFile(file, 'utf8');
      const { records, validBytes } = parseSegment(text, file);
      if (validBytes < Buffer.byteLength(text)) {
        if (i !== logNames.length - 1) throw new Error(`control log: ${file} ends in a torn line`);
        await truncate(file, validBytes);
      }
      const segment: Segment = { file, minSeq: Infinity, maxSeq: -Infinity, bytes: validBytes };
      for (const record of records) {
        seqs.add(record.seq);
        segment.minSeq = Math.min(segment.minSeq, record.seq);
        segment.maxSeq = Math.max(segment.maxSeq, record.seq);
      }
      segments.push(segment);
    }
    return new FileLogStorage(directory, segments, seqs);
  }

  get roundTrips(): number {
    return this.#roundTrips;
  }

  insert(records: readonly StoredLogRecord[]): Promise<number> {
    return this.#serial(async () => {
      const batch = new Set<number>();
      let count = 0;
      for (const record of records) {
        if (this.#seqs.has(record.seq) || batch.has(record.seq)) break;
        batch.add(record.seq);
        count++;
      }
      const first = records[0];
      if (count === 0 || !first) return 0;
      const text = records
        .slice(0, count)
        .map(
          (r) =>
            `{"seq":${r.seq},"term":${r.term},"at":${r.at},"kind":${JSON.stringify(r.kind)},"value":${r.json}}\n`,
        )
        .join('');
      const segment = await this.#activeSegment(first.seq);
      const handle = this.#active!;
      const bytes = Buffer.from(text);
      this.#roundTrips++;
      try {
        const { bytesWritten } = await handle.write(bytes, 0, bytes.length, segment.bytes);
        if (bytesWritten !== bytes.length) throw new Error(`short write to ${segment.file}`);
        await handle.datasync();
      } catch (err) {
        // Leave no half batch behind for a later append to bury mid-file.
        await handle.truncate(segment.bytes).catch(() => undefined);
        throw err;
      }
      segment.bytes += bytes.length;
      for (const seq of batch) {
        this.#seqs.add(seq);
        segment.minSeq = Math.min(segment.minSeq, seq);
        segment.maxSeq = Math.max(segment.maxSeq, seq);
      }
      return count;
    });
  }

  async *scanAfter(afterSeq: number): AsyncIterable<readonly ReadLogRecord[]> {
    const segments = [...this.#segments]
      .filter((s) => s.maxSeq > afterSeq)
      .sort((a, b) => a.minSeq - b.minSeq);
    const disjoint = segments.every((s, i) => i === 0 || segments[i - 1]!.maxSeq < s.minSeq);
    const pending: ReadLogRecord[] = [];
    for (const segment of segments) {
      const page = await this.#serial(() => this.#readSegment(segment, afterSeq));
      // Segments whose seq ranges overlap (a gap filled late) are merged before yielding.
      if (disjoint) {
        if (page.length > 0) yield page;
      } else {
        pending.push(...page);
      }
    }
    if (pending.length > 0) yield pending.sort((a, b) => a.seq - b.seq);
  }

  deleteThrough(seq: number): Promise<number> {
    return this.#serial(async () => {
      this.#roundTrips++;
      let deleted = 0;
      for (const s of [...this.#seqs]) {
        if (s <= seq && this.#seqs.delete(s)) deleted++;
      }
      for (const segment of [...this.#segments]) {
        if (segment.minSeq > seq) continue;
        if (segment === this.#segments.at(-1)) await this.#closeActive();
        if (segment.maxSeq <= seq) {
          await unlink(segment.file);
          this.#segments.splice(this.#segments.indexOf(segment), 1);
        } else {
          await this.#rewriteWithout(segment, seq);
        }
      }
      await syncDirectory(this.#directory);
      return deleted;
    });
  }

  /** Closes the open segment; later calls fail. */
  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#closeActive();
      this.#closed = true;
    });
  }

  #serial<R>(run: () => Promise<R>): Promise<R> {
    const guarded = () => {
      if (this.#closed) throw new Error(`control log: ${this.#directory} is closed`);
      return run();
    };
    const next = this.#tail.then(guarded, guarded);
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** The segment to append to, opened; a new one when there is none or the last is full. */
  async #activeSegment(firstSeq: number): Promise<Segment> {
    const last = this.#segments.at(-1);
    if (last && last.bytes < SEGMENT_BYTES) {
      this.#active ??= await open(last.file, 'r+');
      return last;
    }
    await this.#closeActive();
    let file = path.join(this.#directory, `log-${padNumber(firstSeq)}.jsonl`);
    for (let n = 1; this.#segments.some((s) => s.file === file); n++) {
      file = path.join(this.#directory, `log-${padNumber(firstSeq)}-${n}.jsonl`);
    }
    this.#active = await open(file, 'wx+');
    await syncDirectory(this.#directory);
    const segment: Segment = { file, minSeq: Infinity, maxSeq: -Infinity, bytes: 0 };
    this.#segments.push(segment);
    return segment;
  }

  async #closeActive(): Promise<void> {
    const handle = this.#active;
    this.#active = undefined;
    await handle?.close();
  }

  async #readSegment(segment: Segment, afterSeq: number): Promise<ReadLogRecord[]> {
    this.#roundTrips++;
    const text = await readFile(segment.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return ''; // truncated away since the scan started
      throw err;
    });
    return parseSegment(text, segment.file)
      .records.filter((r) => r.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq);
  }

  /** Replaces a segment with its records after `seq`: temp file, fsync, rename over it. */
  async #rewriteWithout(segment: Segment, seq: number): Promise<void> {
    const text = await readFile(segment.file, 'utf8');
    const kept = text.split('\n').filter((line) => line !== '' && parseLine(line, segment.file).seq > seq);
    const body = kept.map((line) => `${line}\n`).join('');
    const temp = `${segment.file}.${randomUUID().slice(0, 8)}.tmp`;
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, segment.file);
    segment.bytes = Buffer.byteLength(body);
    segment.minSeq = Math.min(...kept.map((line) => parseLine(line, segment.file).seq));
  }
}

/**
 * The records of a segment's text and how many leading bytes are whole lines. Only the text
 * after the last newline can be torn.
 */
function parseSegment(text: string, file: string): { records: ReadLogRecord[]; validBytes: number } {
  const end = text.lastIndexOf('\n') + 1;
  const records = text
    .slice(0, end)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => parseLine(line, file));
  return { records, validBytes: Buffer.byteLength(text.slice(0, end)) };
}

function parseLine(line: string, file: string): ReadLogRecord {
  try {
    const record = JSON.parse(line) as ReadLogRecord;
    if (Number.isSafeInteger(record.seq) && (record.kind === 'entry' || record.kind === 'term-start')) {
      return record;
    }
  } catch {
    // reported below
  }
  throw new Error(`control log: corrupt line in ${file}: ${line.slice(0, 80)}`);
}

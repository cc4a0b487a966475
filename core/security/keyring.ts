import { statSync } from 'node:fs';
import { readSecretFile, writeSecretFile } from './key-files.js';
import { isCurveKey } from './z85.js';

/** What an enrolment did. */
export type EnrolOutcome =
  | 'enrolled'
  /** This key was already the worker's. */
  | 'known'
  /** The worker id is enrolled with another key: an operator revokes it first. */
  | 'id-taken'
  /** The key belongs to another worker id: one key, one identity. */
  | 'key-taken'
  /** The key was revoked and is never accepted again. */
  | 'revoked';

interface KeyringFile {
  readonly version: 1;
  readonly workers: Record<string, { readonly publicKey: string; readonly enrolledAt: number }>;
  readonly revoked: readonly string[];
}

/**
 * The worker keys a cluster accepts: worker id ↔ CurveZMQ public key (one to one), plus the keys
 * revoked for good. Kept in a JSON file (mode 0600) when given one, so that a restarted
 * GlobalManager still knows every worker and Discovery in another process reads the same
 * enrolments ({@link refresh} picks up another process's writes).
 */
export class Keyring {
  private readonly byWorker = new Map<string, { publicKey: string; enrolledAt: number }>();
  private readonly byKey = new Map<string, string>();
  private readonly revoked = new Set<string>();
  private loadedMtimeMs = -1;
  private checkedAt = 0;
  /** Bumped on every change: caches of verified routing ids compare it. */
  generation = 0;

  private constructor(private readonly file: string | undefined) {}

  /** A keyring kept only in memory (tests, benchmarks). */
  static inMemory(): Keyring {
    return new Keyring(undefined);
  }

  /** The keyring kept in `file`; an empty one when the file does not exist yet. */
  static open(file: string): Keyring {
    const k = new Keyring(file);
    k.load();
    return k;
  }

  /** The public key enrolled for `workerId`. */
  keyOf(workerId: string): string | undefined {
    return this.byWorker.get(workerId)?.publicKey;
  }

  /** The worker id enrolled with `publicKey`. */
  workerOf(publicKey: string): string | undefined {
    return this.byKey.get(publicKey);
  }

  isRevoked(publicKey: string): boolean {
    return this.revoked.has(publicKey);
  }

  /** Ids of the enrolled workers. */
  workers(): string[] {
    return [...this.byWorker.keys()];
  }

  /** Registers `publicKey` as `workerId`'s key (the caller checked the join token). */
  enrol(workerId: string, publicKey: string, now: number): EnrolOutcome {
    if (!isCurveKey(publicKey)) throw new Error('enrol: not a 40-character Z85 key');
    this.refresh(true);
    if (this.revoked.has(publicKey)) return 'revoked';
    const current = this.byWorker.get(workerId);
    if (current) return current.publicKey === publicKey ? 'known' : 'id-taken';
    if (this.byKey.has(publicKey)) return 'key-taken';
    this.byWorker.set(workerId, { publicKey, enrolledAt: now });
    this.byKey.set(publicKey, workerId);
    this.changed();
    return 'enrolled';
  }

  /**
   * Removes a worker's key and refuses it from now on; the worker must enrol again with a new
   * key and the join token. @returns false when the worker was not enrolled
   */
  revoke(workerId: string): boolean {
    this.refresh(true);
    const current = this.byWorker.get(workerId);
    if (!current) return false;
    this.byWorker.delete(workerId);
    this.byKey.delete(current.publicKey);
    this.revoked.add(current.publicKey);
    this.changed();
    return true;
  }

  /**
   * Re-reads the file when another process changed it. Cheap enough per lookup miss: the file's
   * mtime is checked at most once per second unless `force`.
   */
  refresh(force = false): void {
    if (!this.file) return;
    const now = Date.now();
    if (!force && now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      return;
    }
    if (mtime !== this.loadedMtimeMs) this.load();
  }

  private load(): void {
    if (!this.file) return;
    const text = readSecretFile(this.file);
    this.byWorker.clear();
    this.byKey.clear();
    this.revoked.clear();
    if (text !== undefined) {
      const data = JSON.parse(text) as KeyringFile;
      for (const [id, entry] of Object.entries(data.workers)) {
        this.byWorker.set(id, { publicKey: entry.publicKey, enrolledAt: entry.enrolledAt });
        this.byKey.set(entry.publicKey, id);
      }
      for (const key of data.revoked) this.revoked.add(key);
      this.loadedMtimeMs = statSync(this.file).mtimeMs;
    }
    this.generation++;
  }

  private changed(): void {
    this.generation++;
    if (!this.file) return;
    const data: KeyringFile = {
      version: 1,
      workers: Object.fromEntries(this.byWorker),
      revoked: [...this.revoked],
    };
    writeSecretFile(this.file, JSON.stringify(data, null, 2) + '\n');
    this.loadedMtimeMs = statSync(this.file).mtimeMs;
  }
}

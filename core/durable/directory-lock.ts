import { randomUUID } from 'node:crypto';
import { link, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/** The lock file's name inside the state directory. */
export const LOCK_FILE = 'LOCK';

/** What the lock file holds. */
interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly at: number;
}

/** Another live process holds the state directory. */
export class DirectoryLockedError extends Error {
  /** Stable code for callers and logs. */
  readonly code = 'STATE_DIR_LOCKED';
  readonly directory: string;
  readonly pid: number;

  constructor(directory: string, pid: number) {
    const who = pid === process.pid ? `this process (pid ${pid})` : `pid ${pid}`;
    super(
      `state directory ${directory} is in use by ${who}; stop that process, or delete ` +
        `${path.join(directory, LOCK_FILE)} if it is not a RESTfulSwarm process`,
    );
    this.name = 'DirectoryLockedError';
    this.directory = directory;
    this.pid = pid;
  }
}

/** Breaking a stale lock races another breaker at most this often before giving up. */
const ACQUIRE_TRIES = 5;

/**
 * An exclusive lock on a state directory, so two processes never write one log: a `LOCK` file
 * created exclusively (see #create) holding the owner's pid. A lock whose pid is no longer alive (the owner was
 * killed) is stale and taken over. Only the local host's pids can be checked, so the directory
 * must not be shared between machines.
 */
export class DirectoryLock {
  readonly #file: string;
  readonly #content: string;
  #held = false;

  private constructor(file: string, content: string) {
    this.#file = file;
    this.#content = content;
  }

  /**
   * Takes the lock on `directory` (which must exist).
   * @throws DirectoryLockedError naming the directory and the pid holding it.
   */
  static async acquire(directory: string): Promise<DirectoryLock> {
    const file = path.join(directory, LOCK_FILE);
    const content: LockContent = { pid: process.pid, host: hostname(), at: Date.now() };
    const lock = new DirectoryLock(file, `${JSON.stringify(content)}\n`);
    for (let attempt = 0; attempt < ACQUIRE_TRIES; attempt++) {
      if (await lock.#create()) return lock;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile: try again
      const holder = parsePid(text);
      if (holder !== undefined && isAlive(holder)) throw new DirectoryLockedError(directory, holder);
      // Stale (or unreadable, i.e. torn by a crash while it was written). Remove it only if it
      // still is the file we judged, so a lock a rival just took is left alone.
      const again = await readFile(file, 'utf8').catch(() => undefined);
      if (again === text) await unlink(file).catch(() => undefined);
    }
    throw new Error(`state directory ${directory}: could not take ${LOCK_FILE} (contended)`);
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    const text = await readFile(this.#file, 'utf8').catch(() => undefined);
    if (text === this.#content) await unlink(this.#file);
  }

  /**
   * Creates the lock file exclusively. The content is written to a private temp file first and
   * then hard-linked into place (link, like O_EXCL, fails when the name exists), so a rival never
   * sees a half-written lock and mistakes it for a stale one.
   */
  async #create(): Promise<boolean> {
    const temp = `${this.#file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(this.#content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, this.#file);
      this.#held = true;
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }
}

function parsePid(text: string): number | undefined {
  try {
    const pid = (JSON.parse(text) as Partial<LockContent>).pid;
    return Number.isSafeInteger(pid) && (pid as number) > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 tests for existence: ESRCH means gone, EPERM means alive but someone else's. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

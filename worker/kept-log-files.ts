import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { logLineSchema, type LogLine } from '../core/protocol/index.js';

/** One kept task's file: its key (the name is only an encoding of it) and its last lines. */
const keptFileSchema = z.object({
  v: z.literal(1),
  key: z.string().min(1).max(1024),
  lines: z.array(logLineSchema).max(100_000),
});

/** A kept task read back from its file. */
export interface KeptFile {
  readonly key: string;
  readonly lines: readonly LogLine[];
}

/**
 * The kept output of a worker's ended tasks on disk (`worker.keptLogDir`), next to the copy in
 * memory, so a worker that restarts still answers `GET /api/v1/tasks/{task}/logs` for tasks that
 * ended before. One JSON file per task, written whole through a temporary file and a rename (a
 * crash leaves the old file or the new one, never half of one); which tasks are kept is decided
 * in memory ({@link KeptLogs}), this only mirrors it.
 */
export class KeptLogFiles {
  constructor(readonly dir: string) {}

  /**
   * Every kept task on disk, oldest written first (the order they ended in). A file that cannot
   * be read or is not a kept task's (a crash mid-write leaves only a `.tmp`) is removed and told
   * to `onBad`.
   */
  loadAll(onBad: (file: string, reason: string) => void): KeptFile[] {
    mkdirSync(this.dir, { recursive: true });
    const found: { file: KeptFile; mtimeMs: number; name: string }[] = [];
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      try {
        if (!name.endsWith('.json')) throw new Error('not a kept-log file');
        const parsed = keptFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
        found.push({ file: { key: parsed.key, lines: parsed.lines }, mtimeMs: statSync(path).mtimeMs, name });
      } catch (err) {
        onBad(path, err instanceof Error ? err.message.slice(0, 300) : String(err));
        rmSync(path, { force: true, recursive: true });
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
    return found.map((f) => f.file);
  }

  /** Writes what is kept of `key` (replacing its file). */
  async save(key: string, lines: readonly LogLine[]): Promise<void> {
    const path = this.pathOf(key);
    const tmp = `${path}.tmp`;
    await writeFile(tmp, JSON.stringify({ v: 1, key, lines }), { mode: 0o600 });
    await rename(tmp, path);
  }

  /** Removes `key`'s file (evicted, dropped, or its output could not be read). */
  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** {@link remove}, at once (a task that starts again here: the old run's file goes now). */
  removeNow(key: string): void {
    rmSync(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}.json`);
  }
}

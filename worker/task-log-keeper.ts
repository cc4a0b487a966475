import type { Clock } from '../core/clock/clock.js';
import type { KeptLogLimits } from '../core/config/index.js';
import type { Logger } from '../core/log/logger.js';
import {
  MAX_LOG_CHUNK_BYTES,
  chunkOf,
  taskRefKey,
  type LogLine,
  type LogQuery,
  type TaskRef,
} from '../core/protocol/index.js';
import type { ContainerRuntime, RuntimeCommandOutcome } from './container-runtime.js';
import type { KeptLogFiles } from './kept-log-files.js';
import { KeptLogs, keptLineBytes, type KeptLogsGone } from './kept-logs.js';
import { isEnded } from './report-state.js';
import { messageOf } from './task-refs.js';
import type { TaskEntry } from './task-table.js';

/**
 * Longest the agent spends reading an ended task's last output before removing its container:
 * the removal goes on after that (or after a failed read) without it.
 */
export const KEEP_LOGS_TIMEOUT_MS = 5000;

/**
 * The worker agent's side of task logs: reads a task's output from the runtime while its
 * container exists, keeps an ended task's last output (a {@link KeptLogs}, bounded by
 * `worker.keptLog*`) right before its container is removed, and answers from that afterwards, so
 * `GET /api/v1/tasks/{task}/logs` works for finished, failed and cancelled tasks as `kubectl logs`
 * does for a completed pod.
 */
export class TaskLogKeeper {
  private readonly kept: KeptLogs;

  /**
   * @param files where the kept output is also written (`worker.keptLogDir`), so a restarted
   *   worker still has it: what is there is read back here, at once, within the limits
   */
  constructor(
    private readonly workerId: string,
    limits: KeptLogLimits,
    private readonly deps: {
      readonly runtime: ContainerRuntime;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly files?: KeptLogFiles | undefined;
    },
  ) {
    this.kept = new KeptLogs({
      keptLogLines: limits.keptLogLines,
      keptLogTasks: limits.keptLogTasks,
      keptLogBytes: limits.keptLogBytes,
    });
    const files = deps.files;
    if (files) {
      const loaded = files.loadAll((file, reason) =>
        deps.logger.warn({ file, reason }, 'removed an unreadable kept-log file'),
      );
      // Oldest first, as they ended: the limits (maybe lower than before) drop the oldest.
      for (const f of loaded) for (const k of this.kept.keep(f.key, f.lines)) files.removeNow(k);
      if (loaded.length > 0)
        deps.logger.info({ dir: files.dir, tasks: this.kept.size }, 'kept output of ended tasks read back');
    }
  }

  /**
   * A chunk of a task's output: read from the runtime while its container exists (not queued
   * behind the task's start or stop: reading changes nothing), else from what was kept when its
   * container was removed, answered `ended`. Another cluster's or worker's container is never
   * read: the ref must be in the agent's table (`entry`), or among the ended tasks kept here.
   * `unknown-task` says why nothing is kept (evicted, naming the setting; unreadable; unknown).
   */
  async read(ref: TaskRef, entry: TaskEntry | undefined, query: LogQuery): Promise<RuntimeCommandOutcome> {
    const key = taskRefKey(ref);
    if (entry && !entry.removed) {
      try {
        const r = await this.deps.runtime.logs(ref, query);
        // A container removed while being read answers from what was kept of it.
        if (r.outcome !== 'unknown-task' || !this.kept.get(key)) {
          if (r.logs && isEnded(entry.state)) return { ...r, logs: { ...r.logs, ended: true } };
          return r;
        }
      } catch (err) {
        return { outcome: 'failed', reason: messageOf(err) };
      }
    }
    const kept = this.kept.get(key);
    if (kept) return { outcome: 'done', reason: null, logs: chunkOf(kept, query, true) };
    const gone = this.kept.whyGone(key);
    if (gone) return { outcome: 'unknown-task', reason: this.goneReason(gone) };
    return {
      outcome: 'unknown-task',
      reason: entry
        ? `worker ${this.workerId} did not keep its output when its container was removed`
        : `${key} is not a task of worker ${this.workerId} (it may have restarted since the task ended)`,
    };
  }

  /** Forgets what was kept of `ref` (it starts again here: that output is of an older run). */
  drop(ref: TaskRef): void {
    const key = taskRefKey(ref);
    this.kept.drop(key);
    try {
      this.deps.files?.removeNow(key);
    } catch (err) {
      this.deps.logger.warn({ ref, err }, 'could not remove a kept-log file');
    }
  }

  /**
   * Keeps an ended task's last output (its last `keptLogLines` lines, read chunk by chunk) before
   * its container is removed. Never throws and never takes much longer than
   * {@link KEEP_LOGS_TIMEOUT_MS}: a failed or slow read is logged, remembered as the reason, and
   * the removal goes on without it.
   */
  async keep(ref: TaskRef): Promise<void> {
    const key = taskRefKey(ref);
    const limits = this.kept.limits;
    if (limits.keptLogTasks === 0) return;
    const { clock, logger } = this.deps;
    const timer = new AbortController();
    const deadline = clock.now() + KEEP_LOGS_TIMEOUT_MS;
    const timeout = clock.sleep(KEEP_LOGS_TIMEOUT_MS, timer.signal).then(
      () => `no answer within ${KEEP_LOGS_TIMEOUT_MS} ms`,
      () => 'cancelled',
    );
    try {
      const failure = await Promise.race([this.readAll(ref, deadline), timeout]);
      if (failure === undefined) return;
      this.kept.unreadable(key, failure);
      await this.mirror([key], []);
      logger.warn({ ref, reason: failure }, "could not keep an ended task's output; removing it anyway");
    } catch (err) {
      this.kept.unreadable(key, messageOf(err));
      await this.mirror([key], []);
      logger.warn({ ref, err }, "could not keep an ended task's output; removing it anyway");
    } finally {
      timer.abort();
    }
  }

  /** Reads and keeps the task's last lines; @returns why it could not, or undefined when kept. */
  private async readAll(ref: TaskRef, deadline: number): Promise<string | undefined> {
    const limits = this.kept.limits;
    let lines: LogLine[] = [];
    let bytes = 0;
    let query: LogQuery = { tail: limits.keptLogLines, maxBytes: MAX_LOG_CHUNK_BYTES };
    for (;;) {
      const r = await this.deps.runtime.logs(ref, query);
      if (!r.logs) return r.reason ?? r.outcome;
      for (const l of r.logs.lines) bytes += keptLineBytes(l);
      lines = lines.concat(r.logs.lines);
      // Only the newest lines are kept: the oldest go as soon as they cannot fit.
      while (bytes > limits.keptLogBytes && lines.length > 1)
        bytes -= keptLineBytes(lines.shift() as LogLine);
      if (!r.logs.more || !r.logs.cursor || this.deps.clock.now() > deadline) break;
      query = { after: r.logs.cursor, maxBytes: MAX_LOG_CHUNK_BYTES };
    }
    const key = taskRefKey(ref);
    const evicted = this.kept.keep(key, lines);
    await this.mirror(evicted, evicted.includes(key) ? [] : [key]);
    return undefined;
  }

  /**
   * Makes the files follow memory: removes `gone`, writes `saved` as kept now. A failure is
   * logged, never thrown: the copy in memory still answers until the worker restarts.
   */
  private async mirror(gone: readonly string[], saved: readonly string[]): Promise<void> {
    const files = this.deps.files;
    if (!files) return;
    try {
      for (const k of gone) await files.remove(k);
      for (const k of saved) {
        const lines = this.kept.get(k);
        if (lines) await files.save(k, lines);
      }
    } catch (err) {
      this.deps.logger.warn(
        { err, dir: files.dir },
        'could not write the kept output of an ended task to disk',
      );
    }
  }

  /** Why an ended task's logs are not kept here, naming the setting that bounds them. */
  private goneReason(gone: KeptLogsGone): string {
    const l = this.kept.limits;
    if (gone.kind === 'tasks')
      return `evicted: worker ${this.workerId} keeps the last ${l.keptLogTasks} tasks' logs (worker.keptLogTasks)`;
    if (gone.kind === 'bytes')
      return `evicted: worker ${this.workerId} keeps at most ${l.keptLogBytes} bytes of ended tasks' logs (worker.keptLogBytes)`;
    return `worker ${this.workerId} could not read them before removing the container: ${gone.reason}`;
  }
}

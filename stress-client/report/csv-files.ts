/**
 * The raw samples as CSV, one row per sample with a leading `run` column, so a single run and a
 * comparison have the same columns and load the same way into a notebook or spreadsheet.
 */
import type { RunResult } from '../run-result.js';

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function field(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(header: readonly string[], rows: Iterable<readonly (string | number | null)[]>): string {
  const lines = [header.join(',')];
  for (const row of rows) lines.push(row.map(field).join(','));
  return lines.join('\n') + '\n';
}

const seconds = (from: number | null, to: number | null): number | null =>
  from === null || to === null ? null : (to - from) / 1000;

/** A labelled run: the label names it in every file (the strategy, made unique). */
export interface LabelledRun {
  readonly label: string;
  readonly result: RunResult;
}

/** `jobs.csv`: one row per job with its times and derived waiting/execution/total seconds. */
export function jobsCsv(runs: readonly LabelledRun[]): string {
  return csv(
    [
      'run',
      'name',
      'tasks',
      'cores',
      'memory_bytes',
      'state',
      'submitted_ms',
      'scheduled_ms',
      'started_ms',
      'finished_ms',
      'waiting_s',
      'execution_s',
      'total_s',
      'unplaced_reason',
    ],
    (function* () {
      for (const { label, result } of runs) {
        for (const j of result.jobs) {
          yield [
            label,
            j.name,
            j.tasks,
            j.cores,
            j.memoryBytes,
            j.state,
            j.submittedMs,
            j.scheduledMs,
            j.startedMs,
            j.finishedMs,
            seconds(j.submittedMs, j.startedMs),
            seconds(j.startedMs, j.finishedMs),
            j.startedMs === null ? null : seconds(j.submittedMs, j.finishedMs),
            j.unplacedReason,
          ];
        }
      }
    })(),
  );
}

/** `workers.csv`: the per-worker step functions (a row is valid until the worker's next row). */
export function workersCsv(runs: readonly LabelledRun[]): string {
  return csv(
    ['run', 'worker_id', 'at_ms', 'used_cores', 'used_memory_bytes'],
    (function* () {
      for (const { label, result } of runs) {
        for (const w of result.workers) yield [label, w.workerId, w.atMs, w.usedCores, w.usedMemoryBytes];
      }
    })(),
  );
}

/** `cluster.csv`: queue depth, placements since the previous row, used and total resources. */
export function clusterCsv(runs: readonly LabelledRun[]): string {
  return csv(
    [
      'run',
      'at_ms',
      'queue_depth',
      'placements',
      'used_cores',
      'total_cores',
      'used_memory_bytes',
      'total_memory_bytes',
    ],
    (function* () {
      for (const { label, result } of runs) {
        for (const c of result.cluster) {
          yield [
            label,
            c.atMs,
            c.queueDepth,
            c.placements,
            c.usedCores,
            c.totalCores,
            c.usedMemoryBytes,
            c.totalMemoryBytes,
          ];
        }
      }
    })(),
  );
}

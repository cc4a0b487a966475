/**
 * From raw samples to the numbers a run is judged by ({@link RunSummary}), the thresholds that
 * fail a run, and the terminal text. Works the same on real-time and virtual-time results.
 */
import type { RunResult } from '../run-result.js';
import { packingMeasures } from './packing-metrics.js';
import {
  TIME_METRICS,
  type RunSummary,
  type Threshold,
  type TimeMetric,
  type TimeStats,
} from './run-summary.js';
import { stepMean, timeStats } from './time-stats.js';

/** Per-job times in seconds (only jobs that have the time). */
export function jobTimes(result: RunResult): Record<TimeMetric, number[]> {
  const out: Record<TimeMetric, number[]> = { waiting: [], execution: [], total: [] };
  for (const j of result.jobs) {
    if (j.startedMs !== null) out.waiting.push((j.startedMs - j.submittedMs) / 1000);
    if (j.startedMs !== null && j.finishedMs !== null) {
      out.execution.push((j.finishedMs - j.startedMs) / 1000);
      out.total.push((j.finishedMs - j.submittedMs) / 1000);
    }
  }
  return out;
}

/** End states of jobs that were never placed but are not "waiting for capacity" either. */
const NOT_PLACEABLE = new Set(['failed', 'cancelled', 'rejected']);

/** Computes the {@link RunSummary} of a run. */
export function summarise(result: RunResult): RunSummary {
  const times = jobTimes(result);
  const endMs = result.durationMs;
  let finished = 0;
  let failed = 0;
  let rejected = 0;
  let unplaced = 0;
  for (const j of result.jobs) {
    if (j.state === 'finished') finished++;
    else if (j.state === 'failed') failed++;
    else if (j.state === 'rejected') rejected++;
    if (j.startedMs === null && !NOT_PLACEABLE.has(j.state)) unplaced++;
  }
  const cluster = [...result.cluster].sort((a, b) => a.atMs - b.atMs);
  const coreSteps = cluster.map((c) => ({
    atMs: c.atMs,
    value: c.totalCores > 0 ? c.usedCores / c.totalCores : 0,
  }));
  const memorySteps = cluster.map((c) => ({
    atMs: c.atMs,
    value: c.totalMemoryBytes > 0 ? c.usedMemoryBytes / c.totalMemoryBytes : 0,
  }));
  let placements = 0;
  let peakQueueDepth = 0;
  for (const c of cluster) {
    placements += c.placements;
    peakQueueDepth = Math.max(peakQueueDepth, c.queueDepth);
  }
  const durationSeconds = endMs / 1000;
  const packing = packingMeasures(result, endMs);
  return {
    mode: result.mode,
    strategy: result.strategy,
    seed: result.source.seed,
    jobs: { submitted: result.jobs.length, finished, failed, rejected, unplaced },
    times: {
      waiting: timeStats(times.waiting),
      execution: timeStats(times.execution),
      total: timeStats(times.total),
    },
    utilisation: stepMean(coreSteps, 0, endMs),
    memoryUtilisation: stepMean(memorySteps, 0, endMs),
    workersVsBound: packing.workersVsBound,
    fragmentation: packing.fragmentation,
    busyWorkerUtilisation: packing.busyWorkerUtilisation,
    placementsPerSecond:
      result.mode === 'virtual-time' ? null : durationSeconds > 0 ? placements / durationSeconds : 0,
    peakQueueDepth,
    durationSeconds,
    wallSeconds: result.wallSeconds,
  };
}

/** Seconds with a unit that stays readable from milliseconds to months. */
export function formatSeconds(s: number): string {
  if (s === 0) return '0 s';
  const a = Math.abs(s);
  if (a < 1) return `${(s * 1000).toFixed(a < 0.01 ? 2 : 0)} ms`;
  if (a < 120) return `${s.toFixed(2)} s`;
  if (a < 7200) return `${(s / 60).toFixed(1)} min`;
  if (a < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/**
 * One readable line per threshold the summary misses. A metric no job has (e.g. nothing finished)
 * counts as missed: the run cannot show it met the limit.
 */
export function checkThresholds(summary: RunSummary, thresholds: readonly Threshold[]): string[] {
  const out: string[] = [];
  for (const t of thresholds) {
    const stats = summary.times[t.metric];
    const label = `${t.stat} ${t.metric} time`;
    if (stats === null) {
      out.push(
        `${label}: no job has one (${summary.jobs.submitted} submitted, ${summary.jobs.finished} finished, ` +
          `${summary.jobs.unplaced} never placed), so the limit ${formatSeconds(t.maxSeconds)} cannot be met`,
      );
    } else if (stats[t.stat] > t.maxSeconds) {
      out.push(
        `${label} ${formatSeconds(stats[t.stat])} exceeds the limit ${formatSeconds(t.maxSeconds)} ` +
          `(over ${stats.count} jobs; max ${formatSeconds(stats.max)})`,
      );
    }
  }
  return out;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function statsLine(metric: string, s: TimeStats | null): string {
  if (s === null) return `  ${metric.padEnd(10)} (no job has one)`;
  const cells = [s.min, s.p50, s.p90, s.p95, s.p99, s.max].map((v) => formatSeconds(v).padStart(10));
  return `  ${metric.padEnd(10)}${String(s.count).padStart(8)}${cells.join('')}`;
}

/** The summary as terminal text (a few aligned lines, no colour). */
export function formatSummary(summary: RunSummary): string {
  const j = summary.jobs;
  const lines = [
    `${summary.mode} run, strategy ${summary.strategy}, seed ${summary.seed}: ${formatSeconds(summary.durationSeconds)} of run time ` +
      `in ${summary.wallSeconds.toFixed(2)} s wall`,
    `  jobs: ${j.submitted} submitted, ${j.finished} finished, ${j.failed} failed, ${j.unplaced} never placed` +
      (j.rejected > 0 ? `, ${j.rejected} rejected at submission` : ''),
    `  ${'time'.padEnd(10)}${'count'.padStart(8)}${['min', 'p50', 'p90', 'p95', 'p99', 'max'].map((h) => h.padStart(10)).join('')}`,
    ...TIME_METRICS.map((m) => statsLine(m, summary.times[m])),
    `  utilisation ${pct(summary.utilisation)} cores, ${pct(summary.memoryUtilisation)} memory; ` +
      `fragmented free cores ${summary.fragmentation === null ? '–' : pct(summary.fragmentation)}`,
    `  busy workers ÷ lower bound ${summary.workersVsBound === null ? '–' : summary.workersVsBound.toFixed(2)}, ` +
      `busy workers' cores used ${summary.busyWorkerUtilisation === null ? '–' : pct(summary.busyWorkerUtilisation)}; ` +
      (summary.placementsPerSecond === null
        ? ''
        : `${summary.placementsPerSecond.toFixed(3)} placements/s; `) +
      `peak queue depth ${summary.peakQueueDepth}`,
  ];
  return lines.join('\n');
}

/** One line per run (several seeds): strategy, seed, jobs, waiting p50/p95 and packing. */
export function formatSummaryLine(summary: RunSummary): string {
  const w = summary.times.waiting;
  return (
    `${summary.strategy}, seed ${summary.seed}: ${summary.jobs.finished}/${summary.jobs.submitted} finished, ` +
    `waiting p50 ${w ? formatSeconds(w.p50) : '–'}, p95 ${w ? formatSeconds(w.p95) : '–'}; ` +
    `utilisation ${pct(summary.utilisation)}; busy workers ÷ bound ${summary.workersVsBound === null ? '–' : summary.workersVsBound.toFixed(2)}; ` +
    `fragmented ${summary.fragmentation === null ? '–' : pct(summary.fragmentation)}; ${summary.wallSeconds.toFixed(2)} s wall`
  );
}

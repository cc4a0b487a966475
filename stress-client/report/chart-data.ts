/**
 * Chart data from raw samples, reduced to what a chart can show: CDF points at evenly spaced
 * quantiles, a worker-group × time-bin utilisation grid (time-weighted, so step functions are
 * averaged, not point-sampled), and queue depth / placements per time bin. Large fleets and long
 * runs thus give charts of bounded size (≤ ~60 rows × ~200 bins) whatever the input.
 */
import type { RunResult, WorkerSample } from '../run-result.js';
import { jobTimes } from './summarise.js';
import type { TimeMetric } from './run-summary.js';
import { quantile } from './time-stats.js';

/** Bounds of the reduced chart data. */
export const CHART_LIMITS = { cdfPoints: 200, heatmapRows: 60, timeBins: 200 } as const;

/** A run-time unit for axes, chosen so a run reads in small numbers. */
export interface TimeUnit {
  readonly label: string;
  readonly ms: number;
}

/** The axis unit for a run of `durationMs`. */
export function timeUnitFor(durationMs: number): TimeUnit {
  if (durationMs >= 3 * 86_400_000) return { label: 'd', ms: 86_400_000 };
  if (durationMs >= 3 * 3_600_000) return { label: 'h', ms: 3_600_000 };
  if (durationMs >= 3 * 60_000) return { label: 'min', ms: 60_000 };
  return { label: 's', ms: 1000 };
}

/** One point of an empirical CDF. */
export interface CdfPoint {
  readonly run: string;
  readonly metric: TimeMetric;
  readonly seconds: number;
  readonly fraction: number;
}

/** CDF points of waiting, execution and total time for one run (≤ cdfPoints + 1 per metric). */
export function cdfPoints(run: string, result: RunResult): CdfPoint[] {
  const times = jobTimes(result);
  const out: CdfPoint[] = [];
  for (const metric of ['waiting', 'execution', 'total'] as const) {
    const sorted = times[metric].sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    const n = Math.min(CHART_LIMITS.cdfPoints, sorted.length);
    for (let k = 0; k <= n; k++) {
      const fraction = k / n;
      out.push({ run, metric, seconds: quantile(sorted, fraction), fraction });
    }
  }
  return out;
}

/** One cell of the utilisation heatmap. */
export interface HeatCell {
  readonly run: string;
  /** Worker id, or `first … last (k workers)` for a group. */
  readonly workers: string;
  /** Row order (0 = first workers by id). */
  readonly row: number;
  /** Cell start and end in run-time units (one or more bins). */
  readonly time: number;
  readonly timeEnd: number;
  /** Used cores ÷ cores of the row over the bin, time-weighted, 0..1. */
  readonly utilisation: number;
}

/** Per-worker step functions, grouped by worker id. */
function samplesByWorker(samples: readonly WorkerSample[]): Map<string, WorkerSample[]> {
  const out = new Map<string, WorkerSample[]>();
  for (const s of samples) {
    let list = out.get(s.workerId);
    if (!list) out.set(s.workerId, (list = []));
    list.push(s);
  }
  for (const list of out.values()) list.sort((a, b) => a.atMs - b.atMs);
  return out;
}

/** Adds value·ms of one step [from, to) into the bins it overlaps. */
function addStep(bins: Float64Array, binMs: number, from: number, to: number, value: number): void {
  if (value === 0 || to <= from) return;
  const last = bins.length - 1;
  for (let b = Math.min(last, Math.floor(from / binMs)); b <= last; b++) {
    const start = Math.max(from, b * binMs);
    const end = Math.min(to, (b + 1) * binMs);
    if (end <= start) break;
    bins[b]! += value * (end - start);
  }
}

/** Compares ids with digit runs as numbers; locale-independent. */
const NATURAL = new Intl.Collator('en', { numeric: true });

/**
 * The utilisation heatmap of one run: workers (by id) in ≤ heatmapRows contiguous groups, time in
 * `timeBins` equal bins over `[0, endMs]`. A group's bin is Σ used core·ms ÷ Σ cores·bin ms;
 * consecutive bins of equal value are merged into one cell (`time` … `timeEnd`).
 */
export function heatmapCells(run: string, result: RunResult, endMs: number, unit: TimeUnit): HeatCell[] {
  // Natural order (w2 before w10), so numbered fleets read top to bottom as people number them.
  const fleet = [...result.fleet].sort((a, b) => NATURAL.compare(a.id, b.id));
  if (fleet.length === 0 || endMs <= 0) return [];
  const bins = CHART_LIMITS.timeBins;
  const binMs = endMs / bins;
  const rows = Math.min(CHART_LIMITS.heatmapRows, fleet.length);
  const byWorker = samplesByWorker(result.workers);
  const out: HeatCell[] = [];
  for (let r = 0; r < rows; r++) {
    const members = fleet.slice(
      Math.floor((r * fleet.length) / rows),
      Math.floor(((r + 1) * fleet.length) / rows),
    );
    const area = new Float64Array(bins);
    let cores = 0;
    for (const w of members) {
      cores += w.cores;
      const steps = byWorker.get(w.id) ?? [];
      for (let i = 0; i < steps.length; i++) {
        const to = i + 1 < steps.length ? steps[i + 1]!.atMs : endMs;
        addStep(area, binMs, steps[i]!.atMs, Math.min(to, endMs), steps[i]!.usedCores);
      }
    }
    const label =
      members.length === 1
        ? members[0]!.id
        : `${members[0]!.id} … ${members[members.length - 1]!.id} (${members.length})`;
    // Runs of equal bins become one cell: idle stretches would otherwise fill the SVG.
    for (let b = 0; b < bins;) {
      const utilisation = cores > 0 ? area[b]! / (cores * binMs) : 0;
      let end = b + 1;
      while (end < bins && (cores > 0 ? area[end]! / (cores * binMs) : 0) === utilisation) end++;
      out.push({
        run,
        workers: label,
        row: r,
        time: (b * binMs) / unit.ms,
        timeEnd: (end * binMs) / unit.ms,
        utilisation,
      });
      b = end;
    }
  }
  return out;
}

/** Queue depth and placements in one time bin. */
export interface TimelinePoint {
  readonly run: string;
  /** Bin start in run-time units. */
  readonly time: number;
  /** Largest queue depth in the bin (the depth in force at its start counts). */
  readonly queueDepth: number;
  /** Tasks placed in the bin. */
  readonly placements: number;
  /** Used cores ÷ total at the bin's last sample. */
  readonly utilisation: number;
}

/** Queue depth, placements and utilisation of one run in `timeBins` bins over `[0, endMs]`. */
export function timeline(run: string, result: RunResult, endMs: number, unit: TimeUnit): TimelinePoint[] {
  const bins = endMs > 0 ? CHART_LIMITS.timeBins : 1;
  const binMs = endMs > 0 ? endMs / bins : 1;
  const maxDepth = new Float64Array(bins).fill(-1);
  const endDepth = new Float64Array(bins);
  const placed = new Float64Array(bins);
  const util = new Float64Array(bins).fill(-1);
  for (const c of [...result.cluster].sort((a, b) => a.atMs - b.atMs)) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(c.atMs / binMs)));
    maxDepth[b] = Math.max(maxDepth[b]!, c.queueDepth);
    endDepth[b] = c.queueDepth;
    placed[b]! += c.placements;
    util[b] = c.totalCores > 0 ? c.usedCores / c.totalCores : 0;
  }
  const out: TimelinePoint[] = [];
  let inForce = 0; // the depth at the bin's start: the last sample before it
  let lastUtil = 0;
  for (let b = 0; b < bins; b++) {
    const queueDepth = Math.max(inForce, maxDepth[b]!);
    if (maxDepth[b]! >= 0) inForce = endDepth[b]!;
    if (util[b]! >= 0) lastUtil = util[b]!;
    out.push({ run, time: (b * binMs) / unit.ms, queueDepth, placements: placed[b]!, utilisation: lastUtil });
  }
  return out;
}

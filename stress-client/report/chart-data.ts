/**
 * Chart data from raw samples, reduced to what a chart can show: empirical CDF steps at observed
 * values, a worker (class or group) × time-bin utilisation grid (time-weighted, so step functions are
 * averaged, not point-sampled), and queue depth / placements per time bin. Large fleets and long
 * runs thus give charts of bounded size (≤ ~60 rows × ~200 bins) whatever the input.
 */
import type { RunResult, WorkerSample } from '../run-result.js';
import type { FleetWorker } from '../workload.js';
import { jobTimes } from './summarise.js';
import type { TimeMetric } from './run-summary.js';

/** Bounds of the reduced chart data. */
export const CHART_LIMITS = { cdfPoints: 400, heatmapRows: 60, timeBins: 200 } as const;

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

/**
 * The empirical CDF of `values` as points for a step-after line: (min, 0), then at each distinct
 * value the fraction of values ≤ it. Over `limit` distinct values, a point is kept only once the
 * fraction has risen by ≥ 1/limit since the last kept one (and the last always), so the drawn
 * curve is the exact ECDF at every kept point and below it by < 1/limit in between.
 */
export function ecdf(values: readonly number[], limit: number = CHART_LIMITS.cdfPoints): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [];
  const out: [number, number][] = [[sorted[0]!, 0]];
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue; // the last of equal values
    const fraction = (i + 1) / n;
    if (i + 1 < n && fraction - last < 1 / limit) continue;
    out.push([sorted[i]!, fraction]);
    last = fraction;
  }
  return out;
}

/**
 * ECDF points of waiting, execution and total time over the jobs of `results` (several seeds of
 * one strategy are pooled: every job of every seed counts once).
 */
export function cdfPoints(run: string, results: readonly RunResult[]): CdfPoint[] {
  const out: CdfPoint[] = [];
  for (const metric of ['waiting', 'execution', 'total'] as const) {
    const values = results.flatMap((r) => jobTimes(r)[metric]);
    for (const [seconds, fraction] of ecdf(values)) out.push({ run, metric, seconds, fraction });
  }
  return out;
}

/** One cell of the utilisation heatmap. */
export interface HeatCell {
  readonly run: string;
  /** The row's label (worker id, worker class or id range; see {@link heatmapRows}). */
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

/** The heatmap's rows: how workers are grouped, and each row's label and members. */
export interface HeatmapRows {
  /** Axis title saying what a row is. */
  readonly title: string;
  readonly rows: readonly { readonly label: string; readonly members: readonly FleetWorker[] }[];
}

const gib = (bytes: number): string => `${Number((bytes / 1024 ** 3).toPrecision(3))} GiB`;

/**
 * Rows for a fleet: one per worker when it fits in heatmapRows; else one per worker class (same
 * cores and memory; largest first), which on a heterogeneous fleet shows which sizes a strategy
 * fills; else contiguous groups by id, labelled with their first and last id.
 */
export function heatmapRows(fleetIn: readonly FleetWorker[]): HeatmapRows {
  // Natural order (w2 before w10), so numbered fleets read top to bottom as people number them.
  const fleet = [...fleetIn].sort((a, b) => NATURAL.compare(a.id, b.id));
  const limit = CHART_LIMITS.heatmapRows;
  if (fleet.length <= limit) {
    return { title: 'worker', rows: fleet.map((w) => ({ label: w.id, members: [w] })) };
  }
  const classes = new Map<string, FleetWorker[]>();
  for (const w of fleet) {
    const key = `${w.cores}/${w.memoryBytes}`;
    const list = classes.get(key);
    if (list) list.push(w);
    else classes.set(key, [w]);
  }
  if (classes.size <= limit) {
    const rows = [...classes.values()]
      .sort((a, b) => b[0]!.cores - a[0]!.cores || b[0]!.memoryBytes - a[0]!.memoryBytes)
      .map((members) => ({
        label: `${members[0]!.cores} cores, ${gib(members[0]!.memoryBytes)} (×${members.length})`,
        members,
      }));
    return { title: 'worker class (cores, memory, count)', rows };
  }
  const rows = Array.from({ length: limit }, (_, r) => {
    const members = fleet.slice(
      Math.floor((r * fleet.length) / limit),
      Math.floor(((r + 1) * fleet.length) / limit),
    );
    return { label: `${members[0]!.id} … ${members[members.length - 1]!.id} (${members.length})`, members };
  });
  return { title: 'workers by id (first … last, count)', rows };
}

/**
 * The utilisation heatmap of one run: rows from {@link heatmapRows}, time in `timeBins` equal bins
 * over `[0, endMs]`. A row's bin is Σ used core·ms ÷ Σ cores·bin ms; consecutive bins of equal
 * value are merged into one cell (`time` … `timeEnd`).
 */
export function heatmapCells(run: string, result: RunResult, endMs: number, unit: TimeUnit): HeatCell[] {
  if (result.fleet.length === 0 || endMs <= 0) return [];
  const bins = CHART_LIMITS.timeBins;
  const binMs = endMs / bins;
  const byWorker = samplesByWorker(result.workers);
  const out: HeatCell[] = [];
  for (const [r, { label, members }] of heatmapRows(result.fleet).rows.entries()) {
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

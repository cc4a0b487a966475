/**
 * The report's charts as Vega-Lite specifications (data inline). Every line chart gives each
 * strategy its own colour and dash pattern (one legend for both), so strategies whose lines
 * coincide stay distinguishable; nothing here draws anything itself.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CdfPoint, HeatCell, TimelinePoint, TimeUnit } from './chart-data.js';
import type { TimeMetric } from './run-summary.js';

/** The shared look: DejaVu Sans (installed; resvg loads system fonts), white background. */
const CONFIG = {
  font: 'DejaVu Sans',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
} as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function runColour(runs: readonly string[]): Record<string, unknown> {
  return {
    field: 'run',
    type: 'nominal',
    title: 'strategy',
    scale: { domain: [...runs] },
    legend: runs.length > 1 ? {} : null,
  };
}

/** Dash patterns by run order: solid first, then ever sparser dashes, so overlaps show both. */
const DASHES = [
  [1, 0],
  [7, 3],
  [2, 2],
  [10, 3, 2, 3],
  [4, 5],
  [1, 3],
  [12, 4],
  [6, 2, 1, 2],
];

/** The same legend as the colour, with a dash pattern per run. */
function runDash(runs: readonly string[]): Record<string, unknown> {
  return {
    field: 'run',
    type: 'nominal',
    title: 'strategy',
    scale: { domain: [...runs], range: runs.map((_r, i) => DASHES[i % DASHES.length]) },
    legend: runs.length > 1 ? { symbolStrokeWidth: 2.5, symbolSize: 400 } : null,
  };
}

/** Run time in `unit`, exactly over the run (no rounding of the domain past its end). */
function timeAxis(unit: TimeUnit, endMs: number): Record<string, unknown> {
  return {
    field: 'time',
    type: 'quantitative',
    title: `run time (${unit.label})`,
    scale: { domain: [0, Math.max(endMs, 1) / unit.ms], nice: false },
  };
}

/** Tick values for a seconds axis spanning milliseconds to months, labelled with units. */
const SECOND_TICKS = [0, 0.01, 0.1, 1, 10, 60, 600, 3600, 36_000, 86_400, 864_000, 8_640_000, 86_400_000];
const SECOND_LABEL =
  "datum.value === 0 ? '0' : datum.value < 1 ? datum.value * 1000 + ' ms' : datum.value < 60 ? datum.value + ' s'" +
  " : datum.value < 3600 ? datum.value / 60 + ' min' : datum.value < 86400 ? datum.value / 3600 + ' h'" +
  " : datum.value / 86400 + ' d'";

/**
 * Empirical CDF of one per-job time (a step at each observed value), symlog x so milliseconds
 * and days share an axis.
 */
export function cdfSpec(
  metric: TimeMetric,
  points: readonly CdfPoint[],
  runs: readonly string[],
): TopLevelSpec {
  const values = points.filter((p) => p.metric === metric);
  let max = 0;
  let min = Infinity;
  for (const p of values) {
    max = Math.max(max, p.seconds);
    min = Math.min(min, p.seconds);
  }
  // Within one decade (e.g. every execution ≈ 5 s) the symlog ticks all fall outside the data, so
  // the axis would carry no label: a linear axis in seconds reads better there.
  const narrow = values.length > 0 && min > 0 && max / min < 10;
  // Ticks up to the first one past the largest value.
  const ticks = SECOND_TICKS.filter((_t, i) => i === 0 || SECOND_TICKS[i - 1]! < max);
  return {
    $schema: SCHEMA,
    title: `CDF of ${metric} time`,
    width: 520,
    height: 260,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8 },
    encoding: {
      x: narrow
        ? {
            field: 'seconds',
            type: 'quantitative',
            title: `${metric} time (s)`,
            scale: { zero: false, nice: true },
            axis: { format: '~g' },
          }
        : {
            field: 'seconds',
            type: 'quantitative',
            title: `${metric} time (symlog scale)`,
            scale: { type: 'symlog', constant: 0.01 },
            axis: { values: ticks, labelExpr: SECOND_LABEL },
          },
      y: {
        field: 'fraction',
        type: 'quantitative',
        title: 'share of jobs ≤ x',
        scale: { domain: [0, 1] },
        axis: { format: '.0%', values: [0, 0.25, 0.5, 0.75, 1] },
      },
      color: runColour(runs),
      strokeDash: runDash(runs),
    },
    config: CONFIG,
  };
}

/** Utilisation per worker (group) × time bin; one panel per run. */
export function heatmapSpec(
  cells: readonly HeatCell[],
  runs: readonly string[],
  unit: TimeUnit,
  endMs: number,
  rowTitle: string,
): TopLevelSpec {
  const rows = new Set(cells.map((c) => c.row)).size;
  return {
    $schema: SCHEMA,
    // The row title goes into the chart title: a y title per panel collides with the panel labels.
    title: `Core utilisation per ${rowTitle} over time`,
    data: { values: cells },
    facet: {
      row: { field: 'run', type: 'nominal', title: 'strategy', sort: [...runs] },
    },
    spec: {
      width: 600,
      // Every row is labelled; many rows get a smaller font rather than no label.
      height: Math.max(60, (rows > 20 ? 9 : 16) * rows),
      mark: { type: 'rect' },
      encoding: {
        x: timeAxis(unit, endMs),
        x2: { field: 'timeEnd' },
        y: {
          field: 'workers',
          type: 'ordinal',
          title: null,
          sort: { field: 'row', op: 'min' },
          axis: rows > 20 ? { labelFontSize: 7, ticks: false, labelLimit: 260 } : { labelLimit: 260 },
        },
        color: {
          field: 'utilisation',
          type: 'quantitative',
          title: 'used cores',
          scale: { domain: [0, 1], scheme: 'viridis' },
          legend: { format: '.0%' },
        },
      },
    },
    config: CONFIG,
  };
}

/** One timeline field (queue depth or placements per bin) over run time, one line per run. */
export function timelineSpec(
  field: 'queueDepth' | 'placements',
  points: readonly TimelinePoint[],
  runs: readonly string[],
  unit: TimeUnit,
  endMs: number,
  binLabel: string,
): TopLevelSpec {
  const title = field === 'queueDepth' ? 'Queue depth over time' : `Placements per ${binLabel}`;
  let max = 0;
  for (const p of points) max = Math.max(max, p[field]);
  return {
    $schema: SCHEMA,
    title,
    width: 600,
    height: 220,
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: timeAxis(unit, endMs),
      y: {
        field,
        type: 'quantitative',
        title: field === 'queueDepth' ? 'jobs waiting (max in bin)' : 'tasks placed',
        // Counts: whole-number ticks, and an axis from 0 to at least 1 so an all-zero series
        // still has a readable scale.
        scale: { domain: [0, Math.max(1, max)], nice: true },
        axis: { format: 'd', tickMinStep: 1 },
      },
      color: runColour(runs),
      strokeDash: runDash(runs),
    },
    config: CONFIG,
  };
}

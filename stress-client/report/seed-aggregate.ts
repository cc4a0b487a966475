/**
 * The headline figures of a run, and their aggregation over repeated seeds: per strategy the mean
 * and 95 % interval of each figure, and per strategy against the baseline (the first strategy)
 * the paired per-seed differences. One list of figures serves the HTML table, `summary.json`
 * and the terminal, so every place names a figure and its unit the same way.
 */
import type { RunSummary } from './run-summary.js';
import { formatSeconds } from './summarise.js';
import { meanInterval, pairedDifference, type MeanInterval, type PairedDifference } from './seed-stats.js';

/** How a figure is shown. */
export type FigureUnit = 'seconds' | 'percent' | 'ratio' | 'jobs';

/** One headline figure: its `summary.json` key (unit in the name), label and value of a run. */
export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly unit: FigureUnit;
  /** Whether a lower value is better (for the reader's wording only). */
  readonly lowerIsBetter: boolean;
  /** The lowest value a run can have, where intervals are clipped. @defaultValue 0 */
  readonly floor?: number;
  readonly of: (s: RunSummary) => number | null;
}

const pctOf = (x: number | null): number | null => (x === null ? null : x * 100);

/** The figures aggregated over seeds and compared between strategies. */
export const FIGURES: readonly Figure[] = [
  {
    key: 'waitMeanSeconds',
    label: 'waiting mean',
    unit: 'seconds',
    lowerIsBetter: true,
    of: (s) => s.times.waiting?.mean ?? null,
  },
  {
    key: 'waitP50Seconds',
    label: 'waiting p50',
    unit: 'seconds',
    lowerIsBetter: true,
    of: (s) => s.times.waiting?.p50 ?? null,
  },
  {
    key: 'waitP95Seconds',
    label: 'waiting p95',
    unit: 'seconds',
    lowerIsBetter: true,
    of: (s) => s.times.waiting?.p95 ?? null,
  },
  {
    key: 'waitP99Seconds',
    label: 'waiting p99',
    unit: 'seconds',
    lowerIsBetter: true,
    of: (s) => s.times.waiting?.p99 ?? null,
  },
  {
    key: 'totalP95Seconds',
    label: 'total p95',
    unit: 'seconds',
    lowerIsBetter: true,
    of: (s) => s.times.total?.p95 ?? null,
  },
  {
    key: 'coreUtilisationPercent',
    label: 'core utilisation',
    unit: 'percent',
    lowerIsBetter: false,
    of: (s) => s.utilisation * 100,
  },
  {
    key: 'memoryUtilisationPercent',
    label: 'memory utilisation',
    unit: 'percent',
    lowerIsBetter: false,
    of: (s) => s.memoryUtilisation * 100,
  },
  {
    key: 'workersVsBoundRatio',
    label: 'busy workers ÷ lower bound',
    unit: 'ratio',
    lowerIsBetter: true,
    // The bound never exceeds the workers in use (it is only sampled where it is above 0).
    floor: 1,
    of: (s) => s.workersVsBound,
  },
  {
    key: 'busyWorkerUtilisationPercent',
    label: "busy workers' cores used",
    unit: 'percent',
    lowerIsBetter: false,
    of: (s) => pctOf(s.busyWorkerUtilisation),
  },
  {
    key: 'fragmentedFreeCoresPercent',
    label: 'fragmented free cores',
    unit: 'percent',
    lowerIsBetter: true,
    of: (s) => pctOf(s.fragmentation),
  },
  {
    key: 'peakQueueDepthJobs',
    label: 'peak queue depth',
    unit: 'jobs',
    lowerIsBetter: true,
    of: (s) => s.peakQueueDepth,
  },
  {
    key: 'finishedJobs',
    label: 'jobs finished',
    unit: 'jobs',
    lowerIsBetter: false,
    of: (s) => s.jobs.finished,
  },
  {
    key: 'neverPlacedJobs',
    label: 'jobs never placed',
    unit: 'jobs',
    lowerIsBetter: true,
    of: (s) => s.jobs.unplaced,
  },
];

/** One strategy's figures over its seeds. */
export interface StrategyAggregate {
  /** The strategy's label (the strategy, `-2` … when listed twice). */
  readonly strategy: string;
  readonly seeds: readonly number[];
  /** By figure key; null when no seed has the figure. */
  readonly figures: Readonly<Record<string, MeanInterval | null>>;
}

/** A strategy against the baseline on the same seeds. */
export interface PairedComparison {
  readonly baseline: string;
  readonly strategy: string;
  /** By figure key: strategy − baseline per seed; null when no seed has both. */
  readonly figures: Readonly<Record<string, PairedDifference | null>>;
}

/** Summaries of one strategy label, in seed order. */
export interface SeedGroup {
  readonly strategy: string;
  readonly summaries: readonly RunSummary[];
}

/**
 * An interval clipped to the figure's possible values (none is below its floor, 0 unless said;
 * a percentage is at most 100): a t interval over few seeds can reach past them, which no run could.
 */
function clip(f: Figure, m: MeanInterval): MeanInterval {
  if (m.low === null || m.high === null) return m;
  const high = f.unit === 'percent' ? Math.min(100, m.high) : m.high;
  return { ...m, low: Math.max(f.floor ?? 0, m.low), high };
}

/** Mean and interval (clipped to possible values) of every figure per strategy. */
export function aggregateBySeed(groups: readonly SeedGroup[]): StrategyAggregate[] {
  return groups.map((g) => {
    const figures: Record<string, MeanInterval | null> = {};
    for (const f of FIGURES) {
      const values = g.summaries.map(f.of).filter((v): v is number => v !== null);
      figures[f.key] = values.length > 0 ? clip(f, meanInterval(values)) : null;
    }
    return { strategy: g.strategy, seeds: g.summaries.map((s) => s.seed), figures };
  });
}

/**
 * Every strategy after the first against the first (the baseline), seed by seed. Seeds are
 * matched by value, so a seed one strategy lacks is left out of that pair.
 */
export function pairedComparisons(groups: readonly SeedGroup[]): PairedComparison[] {
  const [base, ...others] = groups;
  if (base === undefined) return [];
  return others.map((g) => {
    const bySeed = new Map(g.summaries.map((s) => [s.seed, s]));
    const pairs = base.summaries.flatMap((a) => {
      const b = bySeed.get(a.seed);
      return b ? [[a, b] as const] : [];
    });
    const figures: Record<string, PairedDifference | null> = {};
    for (const f of FIGURES) {
      figures[f.key] = pairedDifference(
        pairs.map(([a]) => f.of(a)),
        pairs.map(([, b]) => f.of(b)),
      );
    }
    return { baseline: base.strategy, strategy: g.strategy, figures };
  });
}

/** A figure's value as the report and the terminal show it ('–' for none). */
export function formatFigure(f: Figure, v: number | null): string {
  if (v === null) return '–';
  if (f.unit === 'seconds') return formatSeconds(v);
  if (f.unit === 'percent') return `${v.toFixed(1)} %`;
  if (f.unit === 'ratio') return v.toFixed(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** A signed difference in the figure's unit (percentage points for percentages). */
export function formatDiff(f: Figure, v: number): string {
  // A difference of percentages is in percentage points.
  const text = f.unit === 'percent' ? `${Math.abs(v).toFixed(1)} pp` : formatFigure(f, Math.abs(v));
  // No sign on a difference that shows as zero ("−0.0 pp" reads as a result).
  if (/^0(\.0+)?( |$)/.test(text)) return text;
  return v > 0 ? `+${text}` : v < 0 ? `−${text}` : text;
}

/** Summaries grouped by strategy (`-2` … for a strategy listed twice), each in seed order. */
export function seedGroups(summaries: readonly RunSummary[]): SeedGroup[] {
  const seen = new Map<string, number>();
  const groups = new Map<string, RunSummary[]>();
  for (const s of summaries) {
    const n = (seen.get(`${s.seed}/${s.strategy}`) ?? 0) + 1;
    seen.set(`${s.seed}/${s.strategy}`, n);
    const key = n === 1 ? s.strategy : `${s.strategy}-${n}`;
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  return [...groups].map(([strategy, list]) => ({ strategy, summaries: list }));
}

/** The aggregates and paired comparisons as terminal text (aligned columns, no colour). */
export function formatSeedAggregates(summaries: readonly RunSummary[]): string {
  const groups = seedGroups(summaries);
  const aggregates = aggregateBySeed(groups);
  const paired = pairedComparisons(groups);
  const seeds = groups[0]?.summaries.map((s) => s.seed) ?? [];
  const width = 28;
  const pad = 30;
  const lines = [
    `over ${seeds.length} seeds (${seeds.join(', ')}): mean [95 % interval]`,
    `  ${''.padEnd(pad)}${aggregates.map((a) => a.strategy.padStart(width)).join('')}`,
  ];
  for (const f of FIGURES) {
    const cells = aggregates.map((a) => {
      const m = a.figures[f.key];
      if (!m) return '–';
      if (m.low === null || m.high === null) return formatFigure(f, m.mean);
      return `${formatFigure(f, m.mean)} [${formatFigure(f, m.low)}, ${formatFigure(f, m.high)}]`;
    });
    lines.push(`  ${f.label.padEnd(pad)}${cells.map((c) => c.padStart(width)).join('')}`);
  }
  for (const p of paired) {
    lines.push(
      `paired by seed, ${p.strategy} − ${p.baseline}: mean [95 % interval]; lower/higher on n seeds; sign test`,
    );
    for (const f of FIGURES) {
      const d = p.figures[f.key];
      if (!d || d.ties === d.n) continue; // equal on every seed: nothing to read
      const m = d.difference;
      const ci =
        m.low === null || m.high === null ? '' : ` [${formatDiff(f, m.low)}, ${formatDiff(f, m.high)}]`;
      lines.push(
        `  ${f.label.padEnd(pad)}${formatDiff(f, m.mean)}${ci}; lower ${d.lower}/${d.n}, higher ${d.higher}/${d.n}; p = ${d.signTestP.toPrecision(2)}`,
      );
    }
  }
  return lines.join('\n');
}

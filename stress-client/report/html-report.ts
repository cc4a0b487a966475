/**
 * The single self-contained `report.html`: charts inline as SVG (no scripts, no external files,
 * so it opens from disk in any browser), with several seeds each strategy's mean and 95 %
 * interval per figure and the paired comparison against the first strategy, the per-run summary
 * table, the definitions of the figures, and each run's configuration and workload source.
 */
import type { LabelledRun } from './csv-files.js';
import { TIME_METRICS, type RunSummary } from './run-summary.js';
import {
  FIGURES,
  formatDiff,
  formatFigure,
  type PairedComparison,
  type StrategyAggregate,
} from './seed-aggregate.js';
import { formatSeconds } from './summarise.js';

/** A rendered chart for the page. */
export interface HtmlChart {
  readonly title: string;
  /** The file the chart is also written to (linked under it). */
  readonly file: string;
  readonly svg: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const dash = '–';

/** Per-run summary rows: label and one cell per run. */
function summaryRows(summaries: readonly RunSummary[]): [string, string[]][] {
  const rows: [string, string[]][] = [
    ['mode', summaries.map((s) => s.mode)],
    ['seed', summaries.map((s) => String(s.seed))],
    ['jobs submitted', summaries.map((s) => String(s.jobs.submitted))],
    ['finished', summaries.map((s) => String(s.jobs.finished))],
    ['failed', summaries.map((s) => String(s.jobs.failed))],
    ['rejected at submission', summaries.map((s) => String(s.jobs.rejected))],
    ['never placed', summaries.map((s) => String(s.jobs.unplaced))],
  ];
  for (const metric of TIME_METRICS) {
    for (const stat of ['min', 'p50', 'p90', 'p95', 'p99', 'max'] as const) {
      rows.push([
        `${metric} ${stat}`,
        summaries.map((s) => {
          const t = s.times[metric];
          return t === null ? dash : formatSeconds(t[stat]);
        }),
      ]);
    }
  }
  rows.push(
    ['core utilisation', summaries.map((s) => pct(s.utilisation))],
    ['memory utilisation', summaries.map((s) => pct(s.memoryUtilisation))],
    [
      'busy workers ÷ lower bound',
      summaries.map((s) => (s.workersVsBound === null ? dash : s.workersVsBound.toFixed(2))),
    ],
    [
      "busy workers' cores used",
      summaries.map((s) => (s.busyWorkerUtilisation === null ? dash : pct(s.busyWorkerUtilisation))),
    ],
    ['fragmented free cores', summaries.map((s) => (s.fragmentation === null ? dash : pct(s.fragmentation)))],
  );
  // Placements per second of virtual time measure the workload, not the scheduler.
  if (summaries.some((s) => s.placementsPerSecond !== null)) {
    rows.push([
      'placements/s',
      summaries.map((s) => (s.placementsPerSecond === null ? dash : s.placementsPerSecond.toFixed(3))),
    ]);
  }
  rows.push(
    ['peak queue depth', summaries.map((s) => String(s.peakQueueDepth))],
    ['run time', summaries.map((s) => formatSeconds(s.durationSeconds))],
  );
  return rows;
}

function table(head: readonly string[], rows: readonly [string, readonly string[]][]): string {
  const th = `<tr><th></th>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      ([label, cells]) =>
        `<tr><td>${escapeHtml(label)}</td>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table>${th}\n${body}</table>`;
}

/** Mean [95 % interval] of each figure, one column per strategy. */
function aggregateTable(aggregates: readonly StrategyAggregate[]): string {
  return table(
    aggregates.map((a) => a.strategy),
    FIGURES.map((f) => [
      `${f.label}`,
      aggregates.map((a) => {
        const m = a.figures[f.key];
        if (!m) return dash;
        if (m.low === null || m.high === null) return formatFigure(f, m.mean);
        return `${formatFigure(f, m.mean)} [${formatFigure(f, m.low)}, ${formatFigure(f, m.high)}]`;
      }),
    ]),
  );
}

/** Per-seed differences against the baseline: mean [interval], lower/higher counts, sign test. */
function pairedTable(paired: readonly PairedComparison[]): string {
  return table(
    paired.map((p) => `${p.strategy} − ${p.baseline}`),
    FIGURES.map((f) => [
      f.label,
      paired.map((p) => {
        const d = p.figures[f.key];
        if (!d) return dash;
        const m = d.difference;
        const ci =
          m.low === null || m.high === null ? '' : ` [${formatDiff(f, m.low)}, ${formatDiff(f, m.high)}]`;
        return `${formatDiff(f, m.mean)}${ci}; lower on ${d.lower}/${d.n}, higher on ${d.higher}/${d.n}; sign p = ${d.signTestP.toPrecision(2)}`;
      }),
    ]),
  );
}

const DEFINITIONS = `<dl>
<dt>waiting, execution, total</dt><dd>started − submitted, finished − started, finished − submitted per job; percentiles interpolate between closest ranks (R-7).</dd>
<dt>core / memory utilisation</dt><dd>used ÷ fleet total, time-weighted over the run. Strategies that place the same jobs at the same times share it: it does not measure packing.</dd>
<dt>busy workers ÷ lower bound</dt><dd>workers with a task running ÷ the fewest workers that could hold the used cores and the used memory at that moment: max(k<sub>c</sub>, k<sub>m</sub>), where k<sub>c</sub> is the fewest of the largest workers by cores whose cores sum to the used cores, and k<sub>m</sub> the same for memory. No set of fewer workers has that many cores (or that much memory), so it is a valid lower bound, even if tasks could be split. Time-weighted mean over the time something runs; 1 is perfect packing.</dd>
<dt>busy workers' cores used</dt><dd>used cores ÷ the cores of the workers with a task running, time-weighted (core·s ÷ core·s): how full the workers in use are, whatever their size. A count of workers favours strategies that use the largest workers; this share does not. Read the two together: more busy workers than the bound with a high share here means small workers filled up (best-fit by free cores picks the fullest worker a task fits, often a small one); with a low share, tasks spread thinly (worst-fit).</dd>
<dt>fragmented free cores</dt><dd>after the FGD paper (Weng et al., USENIX ATC '23): a worker's free cores count as fragmented for a task when the task needs more cores or more memory than the worker has free. The task mix is every task of the workload, equally weighted (a job's task demand is its mean per task; tasks that fit no empty worker are left out); a worker's fragmented cores are its free cores × the share of the mix that cannot use them. Reported as fragmented core·s ÷ free core·s over the run.</dd>
<dt>seeds, intervals, paired comparison</dt><dd>each strategy runs on the same seeds (the same sampled fleet and workload per seed). An interval is mean ∓ t<sub>0.975, n−1</sub> · sd ÷ √n over the seeds, clipped to the figure's possible values (≥ 0, ≤ 100 %). The paired comparison takes, per seed, strategy − first strategy; it gives the mean difference with its t interval, on how many seeds it was lower or higher, and the exact two-sided sign test over the seeds that differ (with 5 seeds its smallest p is 0.0625: the interval of the mean difference is the sharper test). Differences of percentages are in percentage points (pp).</dd>
<dt>CDF charts</dt><dd>the empirical CDF: a step at each observed value (with several seeds, every job of every seed).</dd>
</dl>`;

/** Notes the reader needs to read the figures right. */
function notes(
  runs: readonly (LabelledRun & { summary: RunSummary })[],
  aggregates: readonly StrategyAggregate[],
  seeds: readonly number[],
): string[] {
  const out: string[] = [];
  if (runs.some((r) => r.result.strategy === 'priority')) {
    out.push(
      '<code>priority</code> uses head-of-line blocking (docs/design/scheduler.md): when the highest-ranked waiting job does not fit, no job ranked below it is placed until it does. Long waits and a long queue under <code>priority</code> are this documented behaviour, not a fault: it trades throughput for no starvation.',
    );
  }
  if (runs.some((r) => r.result.mode === 'virtual-time')) {
    out.push(
      'Virtual time: placements per second are not shown (they would measure the workload, not the scheduler); wall times are in <code>timing.json</code>.',
    );
  }
  if (
    seeds.length > 1 &&
    aggregates.every((a) => Object.values(a.figures).every((m) => m === null || m.sd === 0))
  ) {
    out.push(
      'Every seed gave the same figures: nothing in this workload depends on the seed (e.g. a trace with no sampling), so the intervals have zero width.',
    );
  }
  return out;
}

const STYLE = `
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figcaption { font-size: 0.85em; color: #555; }
dt { font-weight: bold; margin-top: 0.5em; } dd { margin-left: 1.5em; }
ul.notes { background: #fff8e1; padding: 0.7em 2em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }`;

/** What the page shows. */
export interface HtmlReportInput {
  readonly runs: readonly (LabelledRun & { readonly summary: RunSummary })[];
  readonly aggregates: readonly StrategyAggregate[];
  readonly paired: readonly PairedComparison[];
  readonly seeds: readonly number[];
  readonly charts: readonly HtmlChart[];
  /** Data files written next to the page (linked). */
  readonly files: readonly string[];
}

/** The whole page. */
export function htmlReport(input: HtmlReportInput): string {
  const { runs, aggregates, paired, seeds, charts, files } = input;
  const first = runs[0]!.result;
  const strategies = aggregates.map((a) => a.strategy);
  const title =
    strategies.length === 1
      ? `RESTfulSwarm run: ${first.source.kind}, ${strategies[0]}`
      : `RESTfulSwarm comparison: ${first.source.kind}, ${strategies.join(' vs ')}`;
  const seedText =
    seeds.length === 1
      ? `seed ${seeds[0]}, ${first.jobs.length} jobs, ${first.fleet.length} workers`
      : `${seeds.length} seeds (${seeds.join(', ')}), each strategy on every seed; seed ${seeds[0]}: ${first.jobs.length} jobs, ${first.fleet.length} workers`;
  const when =
    first.mode === 'virtual-time'
      ? 'Virtual time.'
      : `Real time, started ${escapeHtml(new Date(first.startedAtEpochMs).toISOString())}.`;
  const runTable = table(
    runs.map((r) => r.label),
    summaryRows(runs.map((r) => r.summary)),
  );
  const seedSections =
    seeds.length > 1
      ? `<h2>Over ${seeds.length} seeds: mean [95 % interval]</h2>
${aggregateTable(aggregates)}
${paired.length > 0 ? `<h2>Paired by seed, against ${escapeHtml(paired[0]!.baseline)}</h2>\n${pairedTable(paired)}` : ''}
<details><summary>Every run</summary>
${runTable}
</details>`
      : `<h2>Summary</h2>\n${runTable}`;
  const noteList = notes(runs, aggregates, seeds);
  const figures = charts
    .map(
      (c) =>
        `<figure>${c.svg.replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>${escapeHtml(c.title)} — ` +
        `<a href="${escapeHtml(c.file)}">${escapeHtml(c.file)}</a></figcaption></figure>`,
    )
    .join('\n');
  const configs = runs
    .map(
      (r) =>
        `<h3>${escapeHtml(r.label)}</h3><pre>${escapeHtml(
          JSON.stringify(
            {
              mode: r.result.mode,
              strategy: r.result.strategy,
              source: r.result.source,
              config: r.result.config,
            },
            null,
            2,
          ),
        )}</pre>`,
    )
    .join('\n');
  const links = files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Workload <code>${escapeHtml(first.source.kind)}</code>, ${escapeHtml(seedText)}. ${when}</p>
${noteList.length > 0 ? `<ul class="notes">${noteList.map((n) => `<li>${n}</li>`).join('')}</ul>` : ''}
${seedSections}
<h2>Charts</h2>
${figures}
<h2>Definitions</h2>
${DEFINITIONS}
<h2>Configuration</h2>
<details><summary>${runs.length} run${runs.length === 1 ? '' : 's'}</summary>
${configs}
</details>
<h2>Files</h2>
<p>${links}</p>
</body></html>
`;
}

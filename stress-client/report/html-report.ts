/**
 * The single self-contained `report.html`: charts inline as SVG (no scripts, no external files,
 * so it opens from disk in any browser), the summary table with one column per run, and each
 * run's configuration and workload source.
 */
import type { LabelledRun } from './csv-files.js';
import { TIME_METRICS, type RunSummary } from './run-summary.js';
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

/** Summary rows: label and one cell per run. */
function summaryRows(summaries: readonly RunSummary[]): [string, string[]][] {
  const rows: [string, string[]][] = [
    ['mode', summaries.map((s) => s.mode)],
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
          return t === null ? '–' : formatSeconds(t[stat]);
        }),
      ]);
    }
  }
  rows.push(
    ['core utilisation', summaries.map((s) => pct(s.utilisation))],
    ['memory utilisation', summaries.map((s) => pct(s.memoryUtilisation))],
    ['packing efficiency', summaries.map((s) => pct(s.packingEfficiency))],
    ['busy workers ÷ lower bound', summaries.map((s) => s.workersVsLowerBound.toFixed(2))],
    ['placements/s', summaries.map((s) => s.placementsPerSecond.toFixed(3))],
    ['peak queue depth', summaries.map((s) => String(s.peakQueueDepth))],
    ['run time', summaries.map((s) => formatSeconds(s.durationSeconds))],
    ['wall time', summaries.map((s) => `${s.wallSeconds.toFixed(2)} s`)],
  );
  return rows;
}

const STYLE = `
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figcaption { font-size: 0.85em; color: #555; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }`;

/** The whole page. `files` lists the data files written next to it (linked). */
export function htmlReport(
  runs: readonly LabelledRun[],
  summaries: readonly RunSummary[],
  charts: readonly HtmlChart[],
  files: readonly string[],
): string {
  const first = runs[0]!.result;
  const title =
    runs.length === 1
      ? `RESTfulSwarm run: ${first.source.kind}, ${runs[0]!.label}`
      : `RESTfulSwarm comparison: ${first.source.kind}, ${runs.map((r) => r.label).join(' vs ')}`;
  const head = `<tr><th></th>${runs.map((r) => `<th>${escapeHtml(r.label)}</th>`).join('')}</tr>`;
  const body = summaryRows(summaries)
    .map(
      ([label, cells]) =>
        `<tr><td>${escapeHtml(label)}</td>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
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
<p>Workload <code>${escapeHtml(first.source.kind)}</code>, seed ${first.source.seed}, ${first.jobs.length} jobs,
${first.fleet.length} workers. Started ${escapeHtml(new Date(first.startedAtEpochMs).toISOString())}.</p>
<h2>Summary</h2>
<table>${head}
${body}</table>
<h2>Charts</h2>
${figures}
<h2>Configuration</h2>
${configs}
<h2>Files</h2>
<p>${links}</p>
</body></html>
`;
}

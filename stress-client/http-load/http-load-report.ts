/**
 * The report of one HTTP load run, in one folder, like the job runs' report:
 *
 *   requests.csv  replicas.csv       raw samples
 *   result.json   summary.json       the HttpLoadResult (with its config) and its summary
 *   replicas-latency.{svg,png}       replicas, latency p50/p99 and outcomes per second, one time axis
 *   report.html                      self-contained: the chart inline, the summary, the config
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, svgToPng } from '../report/render-chart.js';
import type { HttpLoadResult } from './http-load-run.js';
import {
  latencyPerSecond,
  outcomesPerSecond,
  replicasOverTime,
  summariseHttpLoad,
  type HttpLoadSummary,
  type SecondPoint,
} from './http-load-summary.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = {
  font: 'DejaVu Sans',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
} as const;

/** Replicas, latency and outcomes over run time: three panels sharing the x axis. */
export function replicasLatencySpec(result: HttpLoadResult): TopLevelSpec {
  const end = Math.max(1, result.durationMs / 1000);
  const x = {
    field: 'time',
    type: 'quantitative' as const,
    title: 'run time (s)',
    scale: { domain: [0, end], nice: false },
  };
  const colour = (title: string): { field: string; type: 'nominal'; title: string } => ({
    field: 'series',
    type: 'nominal',
    title,
  });
  // Stacked by hand (bottom → top: 2xx, other status, no answer): a ranged bar (x to x2) is not
  // stacked by Vega-Lite, and empty outcomes are left out so they draw nothing.
  const outcomes: (SecondPoint & { timeEnd: number; y0: number; y1: number })[] = [];
  const stacked = new Map<number, number>();
  for (const p of outcomesPerSecond(result)) {
    if (p.value === 0) continue;
    const y0 = stacked.get(p.time) ?? 0;
    stacked.set(p.time, y0 + p.value);
    outcomes.push({ ...p, timeEnd: p.time + 1, y0, y1: y0 + p.value });
  }
  return {
    $schema: SCHEMA,
    title: `${result.service}: replicas and latency over time (${result.profile.kind} load)`,
    vconcat: [
      {
        width: 640,
        height: 140,
        data: { values: replicasOverTime(result) },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'replicas', axis: { tickMinStep: 1 } },
          color: colour('replicas'),
          strokeDash: { field: 'series', type: 'nominal', legend: null },
        },
      },
      {
        width: 640,
        height: 180,
        data: { values: latencyPerSecond(result) },
        mark: { type: 'line', point: { size: 14 }, strokeWidth: 1.5 },
        encoding: {
          x,
          y: {
            field: 'value',
            type: 'quantitative',
            title: 'latency per send second (ms, log)',
            scale: { type: 'log' },
          },
          color: colour('latency'),
        },
      },
      {
        width: 640,
        height: 120,
        data: { values: outcomes },
        mark: { type: 'bar' },
        encoding: {
          x,
          x2: { field: 'timeEnd' },
          y: { field: 'y0', type: 'quantitative', title: 'requests sent' },
          y2: { field: 'y1' },
          color: {
            field: 'series',
            type: 'nominal',
            title: 'outcome',
            scale: { domain: ['2xx', 'other status', 'no answer'], range: ['#4c78a8', '#f58518', '#e45756'] },
          },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
    config: CONFIG,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function summaryRows(s: HttpLoadSummary): [string, string][] {
  const ms = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(1)} ms`);
  return [
    ['target', s.target],
    ['requests planned', String(s.planned)],
    ['2xx', String(s.ok)],
    ...Object.entries(s.byStatus).map(([k, v]): [string, string] => [`status ${k}`, String(v)]),
    ['timeouts', String(s.timeouts)],
    ['network errors', String(s.networkErrors)],
    ['skipped (client cap)', String(s.skipped)],
    ['latency p50', ms(s.latencyMs?.p50)],
    ['latency p90', ms(s.latencyMs?.p90)],
    ['latency p99', ms(s.latencyMs?.p99)],
    ['latency max', ms(s.latencyMs?.max)],
    ['first byte p50', ms(s.firstByteMs?.p50)],
    ['first byte p99', ms(s.firstByteMs?.p99)],
    ['peak replicas', String(s.peakReplicas)],
    ['peak desired', String(s.peakDesired)],
    ['answered/s', s.answeredPerSecond.toFixed(1)],
    ['run time', `${s.durationSeconds.toFixed(1)} s`],
  ];
}

function html(result: HttpLoadResult, summary: HttpLoadSummary, svg: string, files: string[]): string {
  const title = `RESTfulSwarm HTTP load: ${result.service}, ${result.profile.kind}`;
  const rows = summaryRows(summary)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  const config = JSON.stringify({ profile: result.profile, config: result.config }, null, 2);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: right; }
td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figcaption { font-size: 0.85em; color: #555; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Requests to <code>${escapeHtml(result.target)}</code>, replicas sampled from
<code>GET /api/v1/services/${escapeHtml(result.service)}</code> every second.
Started ${escapeHtml(new Date(result.startedAtEpochMs).toISOString())}.</p>
<h2>Summary</h2>
<table>
${rows}</table>
<h2>Replicas and latency over time</h2>
<figure>${svg.replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>Replicas (desired, live, running) per sample;
latency p50/p99 of the requests sent in each second; requests sent per second by outcome —
<a href="replicas-latency.svg">replicas-latency.svg</a></figcaption></figure>
<h2>Configuration</h2>
<pre>${escapeHtml(config)}</pre>
<h2>Files</h2>
<p>${files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(' · ')}</p>
</body></html>
`;
}

function requestsCsv(result: HttpLoadResult): string {
  const lines = result.requests.map(
    (r) =>
      `${r.atMs},${r.firstByteMs === null ? '' : r.firstByteMs.toFixed(3)},${
        r.latencyMs === null ? '' : r.latencyMs.toFixed(3)
      },${r.status},${r.error ?? ''}`,
  );
  return ['at_ms,first_byte_ms,latency_ms,status,error', ...lines].join('\n') + '\n';
}

function replicasCsv(result: HttpLoadResult): string {
  const cell = (v: number | null): string => (v === null ? '' : String(v));
  const lines = result.replicas.map(
    (s) => `${s.atMs},${cell(s.desired)},${cell(s.replicas)},${cell(s.running)}`,
  );
  return ['at_ms,desired,live,running', ...lines].join('\n') + '\n';
}

/**
 * Writes the report of `result` into `outDir` (created if missing).
 * @returns the files written (relative to `outDir`), the absolute path of report.html, the summary
 */
export async function writeHttpLoadReport(
  result: HttpLoadResult,
  outDir: string,
): Promise<{ files: string[]; html: string; summary: HttpLoadSummary }> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, data: string | Buffer): Promise<void> => {
    await writeFile(path.join(outDir, name), data);
    files.push(name);
  };
  const summary = summariseHttpLoad(result);
  await write('requests.csv', requestsCsv(result));
  await write('replicas.csv', replicasCsv(result));
  await write('result.json', JSON.stringify(result));
  await write('summary.json', JSON.stringify(summary, null, 2) + '\n');
  const svg = await renderSvg(replicasLatencySpec(result));
  await write('replicas-latency.svg', svg);
  await write('replicas-latency.png', svgToPng(svg));
  await write('report.html', html(result, summary, svg, [...files]));
  return { files, html: path.resolve(outDir, 'report.html'), summary };
}

/** One line per figure for the terminal. */
export function formatHttpLoadSummary(s: HttpLoadSummary): string {
  const l = s.latencyMs;
  const other = Object.entries(s.byStatus)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return [
    `service ${s.service}: ${s.planned} requests, ${s.ok} 2xx${other ? `, ${other}` : ''}, ${s.timeouts} timeouts, ${s.networkErrors} network errors, ${s.skipped} skipped`,
    l
      ? `latency p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`
      : 'latency: no answered request',
    `replicas: peak ${s.peakReplicas} (desired ${s.peakDesired}); ${s.answeredPerSecond.toFixed(1)} answered/s over ${s.durationSeconds.toFixed(1)} s`,
  ].join('\n');
}

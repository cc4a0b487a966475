/**
 * Writes a run's (or a comparison's) report files into one folder: raw samples as CSV and JSON,
 * the summaries, every chart as SVG and PNG, and one self-contained `report.html`.
 *
 *   jobs.csv  workers.csv  cluster.csv       raw samples, a `run` column per row
 *   result.json | result-<run>.json           the RunResult(s): samples, config, seed
 *   summary.json                              RunSummary (one run) or RunSummary[] (comparison)
 *   cdf-waiting|execution|total.{svg,png}     CDFs, one line per run
 *   utilisation-heatmap.{svg,png}             worker × time, one panel per run
 *   queue-depth.{svg,png}  placements.{svg,png}
 *   report.html
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../run-result.js';
import { CHART_LIMITS, cdfPoints, heatmapCells, timeline, timeUnitFor } from './chart-data.js';
import { cdfSpec, heatmapSpec, timelineSpec } from './chart-specs.js';
import { clusterCsv, jobsCsv, workersCsv, type LabelledRun } from './csv-files.js';
import { htmlReport, type HtmlChart } from './html-report.js';
import { renderSvg, svgToPng } from './render-chart.js';
import { TIME_METRICS } from './run-summary.js';
import { formatSeconds, summarise } from './summarise.js';

/** Unique labels: the strategy, with `-2`, `-3` … when a strategy repeats. */
function labelled(results: readonly RunResult[]): LabelledRun[] {
  const seen = new Map<string, number>();
  return results.map((result) => {
    const n = (seen.get(result.strategy) ?? 0) + 1;
    seen.set(result.strategy, n);
    return { label: n === 1 ? result.strategy : `${result.strategy}-${n}`, result };
  });
}

/**
 * Several inline SVGs share one HTML id space, and Vega numbers clip paths and gradients per
 * render; prefixing every id keeps each chart's references to its own definitions.
 */
function scopeIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function fileSafe(label: string): string {
  return label.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Writes the report for one result, or a side-by-side comparison for several (the same workload
 * under different strategies), into `outDir` (created if missing).
 * @returns the files written (paths relative to `outDir`) and the absolute path of report.html
 * @throws RangeError when `results` is empty
 */
export async function writeReport(
  results: readonly RunResult[],
  outDir: string,
): Promise<{ files: string[]; html: string }> {
  if (results.length === 0) throw new RangeError('writeReport: no results to report');
  await mkdir(outDir, { recursive: true });
  const runs = labelled(results);
  const labels = runs.map((r) => r.label);
  const summaries = runs.map((r) => summarise(r.result));
  const files: string[] = [];
  const write = async (name: string, data: string | Buffer): Promise<void> => {
    await writeFile(path.join(outDir, name), data);
    files.push(name);
  };

  await write('jobs.csv', jobsCsv(runs));
  await write('workers.csv', workersCsv(runs));
  await write('cluster.csv', clusterCsv(runs));
  if (runs.length === 1) await write('result.json', JSON.stringify(runs[0]!.result));
  else for (const r of runs) await write(`result-${fileSafe(r.label)}.json`, JSON.stringify(r.result));
  await write('summary.json', JSON.stringify(runs.length === 1 ? summaries[0] : summaries, null, 2) + '\n');

  // One time axis for every run, so a comparison's panels line up.
  const endMs = Math.max(...results.map((r) => r.durationMs));
  const unit = timeUnitFor(endMs);
  const binLabel = endMs > 0 ? formatSeconds(endMs / CHART_LIMITS.timeBins / 1000) : 'bin';
  const points = runs.flatMap((r) => cdfPoints(r.label, r.result));
  const cells = runs.flatMap((r) => heatmapCells(r.label, r.result, endMs, unit));
  const line = runs.flatMap((r) => timeline(r.label, r.result, endMs, unit));
  const specs: { name: string; title: string; spec: TopLevelSpec }[] = [
    ...TIME_METRICS.map((m) => ({
      name: `cdf-${m}`,
      title: `CDF of ${m} time`,
      spec: cdfSpec(m, points, labels),
    })),
    {
      name: 'utilisation-heatmap',
      title: 'Core utilisation per worker × time',
      spec: heatmapSpec(cells, labels, unit, endMs),
    },
    {
      name: 'queue-depth',
      title: 'Queue depth over time',
      spec: timelineSpec('queueDepth', line, labels, unit, endMs, binLabel),
    },
    {
      name: 'placements',
      title: 'Placements over time',
      spec: timelineSpec('placements', line, labels, unit, endMs, binLabel),
    },
  ];
  const charts: HtmlChart[] = [];
  for (const { name, title, spec } of specs) {
    const svg = await renderSvg(spec);
    await write(`${name}.svg`, svg);
    await write(`${name}.png`, svgToPng(svg));
    charts.push({ title, file: `${name}.svg`, svg: scopeIds(svg, name) });
  }
  const html = path.resolve(outDir, 'report.html');
  await write('report.html', htmlReport(runs, summaries, charts, [...files]));
  return { files, html };
}

/**
 * Writes a run's (or a comparison's) report files into one folder: raw samples as CSV and JSON,
 * the summaries, every chart as SVG and PNG, and one self-contained `report.html`. Results may
 * cover several seeds (the same strategies on each): then summary.json and the page add each
 * strategy's mean and 95 % interval per figure and the paired comparison against the first.
 *
 *   jobs.csv  workers.csv  cluster.csv       raw samples, a `run` column per row
 *   result.json | result-<run>.json           the RunResult(s) without wall time: samples, config, seed
 *   timing.json                               wall-clock facts (start, wall seconds): the only
 *                                             file that differs between two identical virtual runs
 *   summary.json                              runs, aggregates over seeds, paired comparisons
 *   cdf-waiting|execution|total.{svg,png}     empirical CDFs, one line per strategy (seeds pooled)
 *   utilisation-heatmap.{svg,png}             worker × time, one panel per strategy (first seed)
 *   queue-depth.{svg,png}  placements.{svg,png}  (first seed)
 *   report.html
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../run-result.js';
import { CHART_LIMITS, cdfPoints, heatmapCells, heatmapRows, timeline, timeUnitFor } from './chart-data.js';
import { cdfSpec, heatmapSpec, timelineSpec } from './chart-specs.js';
import { clusterCsv, jobsCsv, workersCsv, type LabelledRun } from './csv-files.js';
import { htmlReport, type HtmlChart } from './html-report.js';
import { renderSvg, svgToPng } from './render-chart.js';
import { TIME_METRICS, type RunSummary } from './run-summary.js';
import { aggregateBySeed, pairedComparisons } from './seed-aggregate.js';
import { round4, summaryJson } from './summary-json.js';
import { formatSeconds, summarise } from './summarise.js';

/** A run with its label, its strategy key (the chart series) and its summary. */
interface ReportRun extends LabelledRun {
  /** The strategy, with `-2`, `-3` … when a strategy repeats on one seed. */
  readonly key: string;
  readonly summary: RunSummary;
}

/**
 * Unique labels: the strategy key, and with several seeds `<key>-seed<seed>`. Keys number
 * repeats of a strategy within one seed, so each seed's runs get the same keys.
 */
function labelled(results: readonly RunResult[]): ReportRun[] {
  const multiSeed = new Set(results.map((r) => r.source.seed)).size > 1;
  const seen = new Map<string, number>();
  return results.map((result) => {
    const count = `${result.source.seed}/${result.strategy}`;
    const n = (seen.get(count) ?? 0) + 1;
    seen.set(count, n);
    const key = n === 1 ? result.strategy : `${result.strategy}-${n}`;
    const label = multiSeed ? `${key}-seed${result.source.seed}` : key;
    return { label, key, result, summary: summarise(result) };
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
  const keys = [...new Set(runs.map((r) => r.key))];
  const seeds = [...new Set(runs.map((r) => r.result.source.seed))];
  const groups = keys.map((key) => ({
    strategy: key,
    summaries: runs.filter((r) => r.key === key).map((r) => r.summary),
  }));
  const aggregates = aggregateBySeed(groups);
  const paired = pairedComparisons(groups);
  const files: string[] = [];
  const write = async (name: string, data: string | Buffer): Promise<void> => {
    await writeFile(path.join(outDir, name), data);
    files.push(name);
  };

  await write('jobs.csv', jobsCsv(runs));
  await write('workers.csv', workersCsv(runs));
  await write('cluster.csv', clusterCsv(runs));
  // Wall time goes to timing.json alone, so an identical virtual run writes identical files.
  const withoutWall = ({ wallSeconds: _wall, ...rest }: RunResult): Omit<RunResult, 'wallSeconds'> => rest;
  if (runs.length === 1) await write('result.json', JSON.stringify(withoutWall(runs[0]!.result)));
  else
    for (const r of runs)
      await write(`result-${fileSafe(r.label)}.json`, JSON.stringify(withoutWall(r.result)));
  await write(
    'timing.json',
    JSON.stringify(
      runs.map((r) => ({
        run: r.label,
        startedAt: new Date(r.result.startedAtEpochMs).toISOString(),
        wallSeconds: round4(r.result.wallSeconds),
      })),
      null,
      2,
    ) + '\n',
  );
  await write('summary.json', JSON.stringify(summaryJson(runs, aggregates, paired), null, 2) + '\n');

  // Charts: one series per strategy key. CDFs pool every seed; the time charts show the first
  // seed (seeds differ in fleet and arrivals, so their timelines do not share an axis).
  const first = runs.filter((r) => r.result.source.seed === seeds[0]);
  const endMs = Math.max(...first.map((r) => r.result.durationMs));
  const unit = timeUnitFor(endMs);
  const binLabel = endMs > 0 ? formatSeconds(endMs / CHART_LIMITS.timeBins / 1000) : 'bin';
  const points = keys.flatMap((k) =>
    cdfPoints(
      k,
      runs.filter((r) => r.key === k).map((r) => r.result),
    ),
  );
  const cells = first.flatMap((r) => heatmapCells(r.key, r.result, endMs, unit));
  const rowTitle = heatmapRows(first[0]!.result.fleet).title;
  const line = first.flatMap((r) => timeline(r.key, r.result, endMs, unit));
  const seedNote = seeds.length > 1 ? ` (seed ${seeds[0]})` : '';
  const pooled = seeds.length > 1 ? ` (${seeds.length} seeds pooled)` : '';
  const specs: { name: string; title: string; spec: TopLevelSpec }[] = [
    ...TIME_METRICS.map((m) => ({
      name: `cdf-${m}`,
      title: `Empirical CDF of ${m} time${pooled}`,
      spec: cdfSpec(m, points, keys),
    })),
    {
      name: 'utilisation-heatmap',
      title: `Core utilisation per worker × time${seedNote}`,
      spec: heatmapSpec(
        cells,
        first.map((r) => r.key),
        unit,
        endMs,
        rowTitle,
      ),
    },
    {
      name: 'queue-depth',
      title: `Queue depth over time${seedNote}`,
      spec: timelineSpec('queueDepth', line, keys, unit, endMs, binLabel),
    },
    {
      name: 'placements',
      title: `Placements over time${seedNote}`,
      spec: timelineSpec('placements', line, keys, unit, endMs, binLabel),
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
  await write('report.html', htmlReport({ runs, aggregates, paired, seeds, charts, files: [...files] }));
  return { files, html };
}

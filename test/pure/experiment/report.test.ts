/**
 * @module Report files: a single run and a comparison write every file into a temp folder, the
 * charts are real Vega renderings with marks, the HTML is self-contained, and chart data stays
 * bounded for large fleets.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CHART_LIMITS,
  ecdf,
  heatmapCells,
  heatmapRows,
  timeline,
  timeUnitFor,
} from '../../../stress-client/report/chart-data.js';
import { writeReport } from '../../../stress-client/report/write-report.js';
import type { RunResult } from '../../../stress-client/run-result.js';
import { simulate } from '../../../stress-client/virtual-time/simulate.js';
import type { FleetWorker, Workload } from '../../../stress-client/workload.js';

const GIB = 1024 ** 3;
const fleet: FleetWorker[] = [
  { id: 'w1', cores: 4, memoryBytes: 8 * GIB },
  { id: 'w2', cores: 8, memoryBytes: 8 * GIB },
];
const workload: Workload = {
  source: { kind: 'steady', params: { rate: 1 }, seed: 9 },
  jobs: Array.from({ length: 30 }, (_, i) => ({
    name: `job-${i}`,
    arrivalMs: i * 500,
    priority: 0,
    tasks: [
      {
        name: 'main',
        cores: 1 + (i % 4),
        memoryBytes: GIB,
        runSeconds: 3 + (i % 5),
        image: 'x',
        command: undefined,
      },
    ],
  })),
};

const CHARTS = [
  'cdf-waiting',
  'cdf-execution',
  'cdf-total',
  'utilisation-heatmap',
  'queue-depth',
  'placements',
];
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rswarm-report-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  test('one run: CSV, JSON, SVG + PNG charts with marks, and the HTML report', async () => {
    const out = path.join(dir, 'single');
    const result = simulate(workload, fleet, 'best-fit', { nowEpochMs: 0, config: { note: 'unit test' } });
    const { files, html } = await writeReport([result], out);
    const expected = [
      'jobs.csv',
      'workers.csv',
      'cluster.csv',
      'result.json',
      'timing.json',
      'summary.json',
      ...CHARTS.flatMap((c) => [`${c}.svg`, `${c}.png`]),
      'report.html',
    ];
    assert.deepEqual([...files].sort(), [...expected].sort());
    assert.deepEqual((await readdir(out)).sort(), [...expected].sort());
    assert.equal(html, path.join(out, 'report.html'));

    const jobs = (await readFile(path.join(out, 'jobs.csv'), 'utf8')).trim().split('\n');
    assert.equal(jobs.length, 31);
    assert.match(jobs[0]!, /^run,name,tasks,cores,memory_bytes,state,submitted_ms,/);
    assert.match(jobs[1]!, /^best-fit,job-0,1,1,1073741824,finished,0,0,0,3000,0,3,3,$/);
    const saved = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')) as RunResult;
    assert.equal(saved.source.seed, 9);
    assert.equal(saved.config.note, 'unit test');
    assert.equal(saved.jobs.length, 30);
    assert.equal((saved as Partial<RunResult>).wallSeconds, undefined, 'wall time is in timing.json');
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.schema, 'rswarm-stress-summary');
    assert.equal(summary.schemaVersion, 2);
    assert.equal(summary.runs[0].strategy, 'best-fit');
    assert.equal(typeof summary.runs[0].waitingSeconds.p95, 'number');
    assert.equal(typeof summary.runs[0].coreUtilisationPercent, 'number');
    assert.equal(summary.runs[0].placementsPerSecond, undefined, 'not in virtual time');
    const timing = JSON.parse(await readFile(path.join(out, 'timing.json'), 'utf8'));
    assert.equal(typeof timing[0].wallSeconds, 'number');

    for (const c of CHARTS) {
      const svg = await readFile(path.join(out, `${c}.svg`), 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, c);
      const marks = c === 'utilisation-heatmap' ? /class="mark-rect role-mark/ : /class="mark-line role-mark/;
      assert.match(svg, marks, `${c} has data marks`);
      assert.match(svg, /<path /, `${c} draws paths`);
      const png = await readFile(path.join(out, `${c}.png`));
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), `${c}.png is a PNG`);
    }

    const page = await readFile(html, 'utf8');
    assert.equal(page.match(/<svg /g)?.length, CHARTS.length);
    assert.match(page, /<table>/);
    assert.match(page, /&#34;note&#34;: &#34;unit test&#34;/);
    assert.doesNotMatch(page, /<script|<link /);
  });

  test('a comparison: one result file per strategy, summaries side by side, unique SVG ids', async () => {
    const out = path.join(dir, 'compare');
    const results = ['best-fit', 'worst-fit'].map((s) => simulate(workload, fleet, s, { nowEpochMs: 0 }));
    const { files, html } = await writeReport(results, out);
    assert.ok(files.includes('result-best-fit.json') && files.includes('result-worst-fit.json'));
    assert.ok(!files.includes('result.json'));
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      runs: { strategy: string }[];
    };
    assert.deepEqual(
      summary.runs.map((s) => s.strategy),
      ['best-fit', 'worst-fit'],
    );
    const cluster = await readFile(path.join(out, 'cluster.csv'), 'utf8');
    assert.match(cluster, /\nbest-fit,/);
    assert.match(cluster, /\nworst-fit,/);
    const page = await readFile(html, 'utf8');
    assert.match(page, /<tr><th><\/th><th>best-fit<\/th><th>worst-fit<\/th><\/tr>/);
    const ids = [...page.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids.length > 0, 'the heatmap legend defines a gradient');
    assert.equal(new Set(ids).size, ids.length, 'every id in the page is unique');
    for (const id of ids) assert.ok(page.includes(`url(#${id})`), `references to ${id} follow its new name`);
    const cdf = await readFile(path.join(out, 'cdf-waiting.svg'), 'utf8');
    assert.match(cdf, /worst-fit/, 'the legend names each strategy');
  });

  test('refuses an empty list of results', async () => {
    await assert.rejects(writeReport([], path.join(dir, 'empty')), /no results/);
  });
});

describe('empirical CDF', () => {
  test('a step at each observed value, from (min, 0); ties make one step', () => {
    assert.deepEqual(ecdf([0.004, 0.02, 0.02, 5]), [
      [0.004, 0],
      [0.004, 0.25],
      [0.02, 0.75],
      [5, 1],
    ]);
    assert.deepEqual(ecdf([]), []);
  });

  test('thinned to the limit, every kept point is on the exact ECDF and the curve ends at 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 2, max: 50 }),
        (xs, limit) => {
          const points = ecdf(xs, limit);
          assert.ok(points.length <= limit + 2, `${points.length} points`);
          assert.deepEqual(points[0], [Math.min(...xs), 0]);
          assert.equal(points[points.length - 1]![1], 1);
          for (const [x, f] of points.slice(1)) {
            assert.equal(f, xs.filter((v) => v <= x).length / xs.length);
          }
        },
      ),
    );
  });
});

describe('chart data bounds', () => {
  // 250 workers of 250 sizes (no two alike), so rows are groups by id.
  const big: FleetWorker[] = Array.from({ length: 250 }, (_, i) => ({
    id: `w${String(i).padStart(3, '0')}`,
    cores: 2,
    memoryBytes: (1 + i) * GIB,
  }));
  // Worker w000 is fully used for the first half of a 1,000 s run; nothing else runs.
  const result: RunResult = {
    mode: 'virtual-time',
    strategy: 'best-fit',
    source: { kind: 'test', params: {}, seed: 0 },
    config: {},
    startedAtEpochMs: 0,
    durationMs: 1_000_000,
    wallSeconds: 0,
    fleet: big,
    jobs: [],
    workers: [
      { workerId: 'w000', atMs: 0, usedCores: 2, usedMemoryBytes: 0 },
      { workerId: 'w000', atMs: 500_000, usedCores: 0, usedMemoryBytes: 0 },
    ],
    cluster: [
      {
        atMs: 0,
        queueDepth: 3,
        placements: 1,
        usedCores: 2,
        totalCores: 500,
        usedMemoryBytes: 0,
        totalMemoryBytes: 250 * GIB,
      },
      {
        atMs: 500_000,
        queueDepth: 0,
        placements: 0,
        usedCores: 0,
        totalCores: 500,
        usedMemoryBytes: 0,
        totalMemoryBytes: 250 * GIB,
      },
    ],
  };
  const unit = timeUnitFor(result.durationMs);

  test('the heatmap groups 250 workers into 60 rows of time-weighted means, equal bins merged', () => {
    const cells = heatmapCells('r', result, result.durationMs, unit);
    assert.equal(new Set(cells.map((c) => c.row)).size, CHART_LIMITS.heatmapRows);
    // Row 0 holds w000..w003 (8 cores): w000's 2 busy cores are a quarter for the first half.
    const firstRow = cells.filter((c) => c.row === 0);
    assert.deepEqual(
      firstRow.map((c) => [c.workers, c.time, c.timeEnd, c.utilisation]),
      [
        ['w000 … w003 (4)', 0, 500 / 60, 0.25],
        ['w000 … w003 (4)', 500 / 60, 1000 / 60, 0],
      ],
    );
    // Every other row is idle throughout: one cell each.
    assert.equal(cells.length, 2 + (CHART_LIMITS.heatmapRows - 1));
  });

  test('rows: one per worker up to 60, then one per worker class, labelled, largest first', () => {
    const few = heatmapRows(big.slice(0, 3));
    assert.equal(few.title, 'worker');
    assert.deepEqual(
      few.rows.map((r) => r.label),
      ['w000', 'w001', 'w002'],
    );
    const classes = heatmapRows(
      Array.from({ length: 100 }, (_, i) => ({
        id: `n${i}`,
        cores: i % 2 === 0 ? 8 : 96,
        memoryBytes: (i % 2 === 0 ? 16 : 384) * GIB,
      })),
    );
    assert.match(classes.title, /worker class/);
    assert.deepEqual(
      classes.rows.map((r) => [r.label, r.members.length]),
      [
        ['96 cores, 384 GiB (×50)', 50],
        ['8 cores, 16 GiB (×50)', 50],
      ],
    );
    assert.match(heatmapRows(big).title, /workers by id/);
  });

  test('the timeline carries the queue depth in force into bins without samples', () => {
    const points = timeline('r', result, result.durationMs, unit);
    assert.equal(points.length, CHART_LIMITS.timeBins);
    assert.equal(points[0]!.queueDepth, 3);
    assert.equal(points[50]!.queueDepth, 3);
    assert.equal(points[150]!.queueDepth, 0);
    assert.equal(
      points.reduce((n, p) => n + p.placements, 0),
      1,
    );
  });
});

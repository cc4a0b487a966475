/**
 * @module `rswarm stress` / `rswarm compare` as a user runs them (spawned CLI): local simulated
 * fleet in real time and virtual time; exit codes, printed summary, report files, thresholds,
 * the original config files, and errors naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tmp = mkdtempSync(join(tmpdir(), 'rswarm-stress-cli-'));

function rswarm(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, RSWARM_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = (file: string): any => JSON.parse(readFileSync(file, 'utf8'));

test('stress steady --local-fleet: real HTTP path, summary printed, report written, every job finished', async () => {
  const out = join(tmp, 'local');
  const r = await rswarm([
    'stress',
    'steady',
    '--local-fleet',
    '3x4x8g',
    '--turns',
    '3',
    '--interval',
    '0.5',
    '--cores',
    '1,2',
    '--run-seconds',
    '0.5',
    '--seed',
    '5',
    '--out',
    out,
    '--max-p95-wait',
    '1m',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /3 simulated workers joined in/);
  assert.match(r.stdout, /real-time run, strategy best-fit/);
  assert.match(r.stdout, /jobs: 3 submitted, 3 finished/);
  assert.match(r.stdout, /report: .*report\.html/);
  for (const f of ['report.html', 'jobs.csv', 'workers.csv', 'cluster.csv', 'summary.json', 'result.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const result = json(join(out, 'result.json'));
  assert.equal(result.mode, 'real-time');
  assert.equal(result.fleet.length, 3);
  assert.equal(result.source.seed, 5);
  assert.equal(result.jobs.length, 3);
  for (const j of result.jobs) assert.equal(j.state, 'finished');
});

test('stress steady --virtual: summary and report; a missed threshold exits 1 with one line per miss', async () => {
  const out = join(tmp, 'virtual');
  const r = await rswarm([
    'stress',
    'steady',
    '--virtual',
    '--fleet',
    '2x8x16g',
    '--jobs-per-turn',
    '3',
    '--turns',
    '4',
    '--out',
    out,
    '--max-p99-total',
    '1ms',
    '--max-p50-exec',
    '1ms',
    '--max-max-wait',
    '1h',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /virtual-time run, strategy best-fit/);
  const misses = r.stderr.split('\n').filter((l) => l.startsWith('threshold missed'));
  assert.equal(misses.length, 2, r.stderr);
  assert.ok(existsSync(join(out, 'report.html')));
  assert.equal(json(join(out, 'result.json')).jobs.length, 12);
});

test('compare --virtual with an original config file; bad flags exit 2 naming the flag', async () => {
  const cfg = join(tmp, 'RandomStressClientInfo.json');
  writeFileSync(cfg, JSON.stringify({ lower_bound: 2, upper_bound: 2 }));
  const out = join(tmp, 'compare-virtual');
  const r = await rswarm([
    'compare',
    'random',
    '--strategies',
    'best-fit,first-fit,worst-fit',
    '--config',
    cfg,
    '--virtual',
    '--fleet',
    '3x8x16g',
    '--turns',
    '3',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stdout.match(/virtual-time run/g) ?? []).length, 3);
  const result = json(join(out, 'result-worst-fit.json'));
  assert.deepEqual(result.source.params.shape, { kind: 'random', lower: 2, upper: 2 });
  assert.equal(result.jobs.length, 6);

  const badFleet = await rswarm(['stress', 'steady', '--virtual', '--fleet', '3x8']);
  assert.equal(badFleet.code, 2);
  assert.match(badFleet.stderr, /--fleet: "3x8" is not <count>x<cores>x<memory>/);
});

test('compare --virtual --seeds 3: every strategy on the same seeds, intervals and the paired comparison', async () => {
  const out = join(tmp, 'seeds');
  const args = [
    'compare',
    'bursty',
    '--strategies',
    'best-fit,worst-fit',
    '--virtual',
    '--fleet',
    '3x8x16g',
    '--turns',
    '6',
    '--cores',
    '1-4',
    '--run-seconds',
    '2-9',
    '--seeds',
    '3',
    '--seed',
    '7',
    '--out',
    out,
  ];
  const r = await rswarm(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /worst-fit, seed 9: /);
  assert.match(r.stdout, /over 3 seeds \(7, 8, 9\): mean \[95 % interval\]/);
  assert.match(r.stdout, /paired by seed, worst-fit − best-fit/);
  const summary = json(join(out, 'summary.json'));
  assert.equal(summary.schemaVersion, 2);
  assert.deepEqual(summary.seeds, [7, 8, 9]);
  assert.deepEqual(
    summary.runs.map((x: { run: string }) => x.run),
    [
      'best-fit-seed7',
      'worst-fit-seed7',
      'best-fit-seed8',
      'worst-fit-seed8',
      'best-fit-seed9',
      'worst-fit-seed9',
    ],
  );
  // The same workload per seed for both strategies.
  for (const seed of [7, 8, 9]) {
    const a = json(join(out, `result-best-fit-seed${seed}.json`));
    const b = json(join(out, `result-worst-fit-seed${seed}.json`));
    assert.equal(a.source.seed, seed);
    assert.deepEqual(
      a.jobs.map((j: { name: string; submittedMs: number }) => [j.name, j.submittedMs]),
      b.jobs.map((j: { name: string; submittedMs: number }) => [j.name, j.submittedMs]),
    );
  }
  const agg = summary.aggregates[0].figures.waitP95Seconds;
  assert.equal(agg.n, 3);
  assert.ok(agg.ci95Low <= agg.mean && agg.mean <= agg.ci95High, JSON.stringify(agg));
  const pair = summary.paired[0];
  assert.deepEqual([pair.baseline, pair.strategy], ['best-fit', 'worst-fit']);
  const d = pair.figures.workersVsBoundRatio;
  assert.equal(d.n, 3);
  assert.equal(d.lower + d.higher + d.ties, 3);
  const page = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(page, /Over 3 seeds: mean \[95 % interval\]/);
  assert.match(page, /Paired by seed, against best-fit/);

  // Deterministic: the same command writes the same files, wall time (timing.json) aside.
  const files = ['summary.json', 'report.html', 'result-worst-fit-seed8.json', 'cdf-waiting.svg', 'jobs.csv'];
  const before = files.map((f) => readFileSync(join(out, f), 'utf8'));
  const r2 = await rswarm(args);
  assert.equal(r2.code, 0, r2.stderr);
  // assert.ok, not equal: a diff of two large SVG-laden pages takes minutes to compute.
  for (const [i, f] of files.entries()) assert.ok(readFileSync(join(out, f), 'utf8') === before[i], f);

  const bad = await rswarm([
    'compare',
    'steady',
    '--strategies',
    'best-fit',
    '--virtual',
    '--fleet',
    '2x4x8g',
    '--seeds',
    '1,1',
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--seeds: "1,1" is not a list without repeated seeds/);
});

test('stress trace: google task events from files, inputs by SHA-256 in the result; a missing file is one line, exit 2', async () => {
  const fixtures = join(process.cwd(), 'test', 'fixtures', 'traces');
  const out = join(tmp, 'google');
  const r = await rswarm([
    'stress',
    'trace',
    '--virtual',
    '--trace-format',
    'google-task-events',
    '--trace-file',
    join(fixtures, 'google-task-events.csv'),
    '--node-file',
    join(fixtures, 'google-machine-events.csv'),
    '--open-ended',
    'drop',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const result = json(join(out, 'result.json'));
  assert.deepEqual(
    result.source.inputs.map((i: { role: string; file: string }) => [i.role, i.file]),
    [
      ['nodes', 'google-machine-events.csv'],
      ['tasks', 'google-task-events.csv'],
    ],
  );
  assert.match(result.source.inputs[1].sha256, /^[0-9a-f]{64}$/);
  assert.equal(result.source.params.openEnded, 'drop');
  assert.equal(result.jobs.length, 2);

  const missing = await rswarm(['stress', 'trace', '--virtual', '--trace-file', join(tmp, 'nope.csv')]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim(), `rswarm stress: --trace-file: ${join(tmp, 'nope.csv')} does not exist`);
  const dir = await rswarm(['stress', 'trace', '--virtual', '--trace-dir', join(tmp, 'no-dir')]);
  assert.equal(dir.code, 2);
  assert.match(dir.stderr, /^rswarm stress: --trace-dir: .*no-dir\/openb_\w+\.csv does not exist\n$/);
  const bad = await rswarm(['stress', 'trace', '--virtual', '--open-ended', 'never']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--open-ended: "never" is not drop, until-end or a duration/);
});

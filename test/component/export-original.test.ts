/**
 * @module `rswarm export original` against an in-process control plane (issue 14, item 6): every
 * job read through the REST API page by page, written as JSON lines in the original notebooks'
 * shape; the notebook's own reading (GraphBook.ipynb `plot_graph`/`get_time`) works on them; the
 * command is registered in `rswarm` and runs from the command line.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { originalClientSequence } from '../support/original-fixtures.js';
import { exportOriginal } from '../../cli/export-original.js';
import type { OriginalResultDocument } from '../../cli/original-result-document.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIELDS = [
  'end_time',
  'execution_time',
  'job_info',
  'job_name',
  'start_time',
  'state',
  'status',
  'submit_time',
  'total_time',
  'waiting_time',
];

/** The stress client's recorded jobs of its first session, shortened to run 0.2 s each. */
function sessionJobs(): { session: string; docs: Record<string, any>[] } {
  const docs = originalClientSequence()
    .filter((r) => r.body !== undefined)
    .map((r): Record<string, any> => JSON.parse(r.body as string))
    .slice(0, 3);
  for (const d of docs)
    for (const t of Object.values<Record<string, unknown>>(d.job_info.tasks)) {
      t['image'] = 'busybox';
      t['command'] = 'sleep 0.2';
    }
  return { session: (docs[0]?.job_name as string).split('-')[1] as string, docs };
}

/**
 * GraphBook.ipynb's reading, ported line for line: per collection holding "job", the first
 * document; session = job_name.split('-')[1]; get_time; jobs with any time ≤ 0 dropped.
 */
function notebookGraph(
  docs: readonly OriginalResultDocument[],
): Record<string, { waiting: number[]; jobs: string[] }> {
  const data: Record<string, { waiting: number[]; jobs: string[] }> = {};
  for (const info of docs) {
    if (!info.job_name.includes('job')) continue;
    const session = info.job_name.split('-')[1] as string;
    const waiting = info.start_time - info.submit_time;
    const execution = info.end_time - info.start_time;
    const total = info.end_time - info.submit_time;
    if (waiting <= 0 || execution <= 0 || total <= 0) continue;
    (data[session] ??= { waiting: [], jobs: [] }).waiting.push(waiting);
    data[session].jobs.push(info.job_name);
  }
  return data;
}

const readLines = (file: string): OriginalResultDocument[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as OriginalResultDocument);

describe('rswarm export original', () => {
  let c: Cluster;
  let dir: string;
  const { session, docs } = sessionJobs();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rswarm-export-'));
    c = await startCluster({ workers: [{ workerId: 'w1', coreIds: [0, 1, 2, 3, 4, 5, 6, 7] }] });
    await waitFor('the worker', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length ? true : undefined,
    );
    for (const d of docs)
      assert.equal((await c.api('POST', '/RESTfulSwarm/FE/request_new_job', d)).status, 200);
    const native = {
      name: 'native-running',
      tasks: [{ name: 't1', image: 'busybox', cores: 1, memory: '16m', runSeconds: 600 }],
    };
    assert.equal((await c.api('POST', '/api/v1/jobs', native)).status, 202);
    await waitFor('the session jobs to finish and the native job to run', async () => {
      const items = (await c.api('GET', '/api/v1/jobs')).body.items as { name: string; state: string }[];
      const done = items.filter((j) => j.state === 'finished').length;
      return done === 3 && items.some((j) => j.name === 'native-running' && j.state === 'running')
        ? true
        : undefined;
    });
  });
  after(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every job, over several pages, one document a line in the original shape', async () => {
    const out = join(dir, 'all.jsonl');
    const result = await exportOriginal({ url: c.url, token: c.token, out, pageSize: 2 });
    assert.equal(result.jobs, 4);
    const lines = readLines(out);
    assert.deepEqual(
      lines.map((d) => d.job_name).sort(),
      [...docs.map((d) => d.job_name), 'native-running'].sort(),
    );
    const nowSeconds = Date.now() / 1000;
    for (const d of lines) {
      assert.deepEqual(Object.keys(d).sort(), FIELDS);
      // Epoch seconds (the original's time.time()), not milliseconds.
      assert.ok(
        d.submit_time > 1.5e9 && d.submit_time <= nowSeconds,
        `${d.job_name} submit_time ${d.submit_time}`,
      );
      assert.ok(d.start_time >= d.submit_time);
    }
    for (const d of lines.filter((l) => l.job_name !== 'native-running')) {
      assert.equal(d.status, 'Down');
      assert.equal(d.state, 'finished');
      assert.ok(d.end_time >= d.start_time && d.end_time <= nowSeconds);
      assert.ok((d.execution_time ?? 0) >= 0.2, `ran 0.2 s: ${d.execution_time}`);
      const submitted = docs.find((x) => x.job_name === d.job_name);
      assert.equal(d.job_info.network?.name, submitted?.job_info.network.name, 'the network as submitted');
      assert.ok(['auto', 'bridge', 'overlay'].includes(d.job_info.network?.driver ?? ''));
      const tasks = Object.values(d.job_info.tasks);
      assert.equal(tasks.length, 4);
      for (const t of tasks) {
        assert.equal(t.req_cores, 2);
        assert.equal(t.mem_limit, '50m');
        assert.equal(t.node, 'w1');
        assert.equal(t.cpuset_cpus.split(',').length, 2);
        assert.equal(t.status, 'Down');
      }
    }
    const running = lines.find((l) => l.job_name === 'native-running');
    assert.equal(running?.status, 'Deployed');
    assert.equal(running?.end_time, 0);
    // The notebook's reading: the session's three jobs with their times (waiting may round to 0).
    const graph = notebookGraph(lines);
    for (const name of graph[session]?.jobs ?? []) assert.ok(docs.some((d) => d.job_name === name));
    assert.ok(Object.keys(graph).every((s) => s === session));
  });

  test("WorkersResourceInfo: each worker's used-core ratio over the jobs' span, as the original's heatmap reads it", async () => {
    const out = join(dir, 'jobs.jsonl');
    const workersOut = join(dir, 'workers.jsonl');
    const result = await exportOriginal({ url: c.url, token: c.token, out, workersOut });
    assert.equal(result.workers, 1);
    assert.deepEqual(result.skippedWorkers, []);
    const lines = readFileSync(workersOut, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.equal(lines.length, 1);
    const w = JSON.parse(lines[0] as string) as {
      hostname: string;
      init_time: number;
      details: [number, number][];
    };
    assert.deepEqual(Object.keys(w).sort(), ['details', 'hostname', 'init_time']);
    assert.equal(w.hostname, 'w1');
    const firstSubmit = Math.min(...readLines(out).map((d) => d.submit_time));
    assert.ok(w.init_time >= firstSubmit - 0.001 && w.init_time <= Date.now() / 1000, String(w.init_time));
    assert.deepEqual(w.details[0]?.[0], 0, 'the first entry is at init_time');
    for (let i = 1; i < w.details.length; i++)
      assert.ok((w.details[i]?.[0] ?? -1) >= (w.details[i - 1]?.[0] ?? 0), 'seconds only grow');
    assert.ok(w.details.every(([s, r]) => Number.isInteger(s) && r >= 0 && r <= 1));
    // The native job still runs (1 of 8 cores), so the span reaches now and its samples count.
    assert.ok(
      w.details.some(([, r]) => r >= 0.125),
      JSON.stringify(w.details.slice(-5)),
    );
    await assert.rejects(exportOriginal({ url: c.url, token: c.token }), /--workers-out/);
  });

  test('--session keeps only that stress-client session', async () => {
    const out = join(dir, 'session.jsonl');
    assert.equal((await exportOriginal({ url: c.url, token: c.token, out, session })).jobs, 3);
    assert.ok(readLines(out).every((d) => d.job_name.endsWith(`-${session}`)));
  });

  test('bad targets and options are named', async () => {
    await assert.rejects(exportOriginal({ url: c.url, token: c.token }), /--out/);
    await assert.rejects(exportOriginal({ url: c.url, token: 'wrong', out: join(dir, 'x.jsonl') }), /401/);
    await assert.rejects(
      exportOriginal({ url: c.url, token: c.token, mongoUrl: 'mongodb://127.0.0.1:1/x' }),
      /--collection/,
    );
    await assert.rejects(
      exportOriginal({ url: c.url, token: c.token, out: '-', collectionPerJob: true }),
      /--mongo-url/,
    );
  });

  test('the rswarm command runs it: documents on stdout, the count on stderr', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/main.ts',
        'export',
        'original',
        '--url',
        c.url,
        '--out',
        '-',
        '--session',
        session,
      ],
      { cwd: ROOT, env: { ...process.env, RSWARM_TOKEN: c.token }, timeout: 60_000 },
    );
    const lines = stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as OriginalResultDocument).job_name).sort(),
      docs.map((d) => d.job_name).sort(),
    );
    assert.match(stderr, /exported 3 job\(s\)/);
  });
});

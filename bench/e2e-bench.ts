/**
 * End-to-end benchmark (not a test): the whole control plane in this process — HTTP FrontEnd,
 * leading JobManager, GlobalManager and Discovery on ZeroMQ — with simulated workers, one line per
 * backend, side by side in one run:
 *
 *   embedded   the all-in-one's default: records in memory, control log + snapshots in a directory
 *   ferretdb   records and control log on MongoDB (FerretDB here, at MONGO_URL), lease in Redis
 *   ferretdb-pg the same on MONGO_PG_URL (FerretDB's PostgreSQL handler: start it with
 *              `RSWARM_FERRET_PG=1 scripts/test-services.sh`)
 *
 * Each part: BENCH_WORKERS simulated workers × 32 cores join — in a process of their own, as
 * remote machines would be (BENCH_FLEET=in-process puts them in the control plane's process,
 * which then also pays for their sockets and timers); BENCH_JOBS jobs × 4 tasks × 2 cores
 * are submitted over HTTP as fast as they are accepted (BENCH_IN_FLIGHT at once); then, on the same
 * cluster, BENCH_PACED_JOBS one-core jobs at half the measured rate, for submit→running latency.
 * BENCH_HISTORY finished jobs can be put in the records first (the history a long-lived cluster
 * has). Then, with Docker (BENCH_DOCKER=1), submit→running of containers against a bare
 * `docker run`.
 *
 *   npm run bench:e2e   (env: BENCH_PARTS=embedded,ferretdb BENCH_WORKERS=1000 BENCH_JOBS=2500
 *                        BENCH_HISTORY=0 BENCH_DOCKER=0
 *                        BENCH_LINK=curve|plaintext|curve,plaintext)
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { context } from 'zeromq';
import type { JobRecord } from '../core/model/records.js';
import { startCluster, waitFor, type Cluster } from '../test/support/control-plane-harness.js';
import { SERVICES } from '../test/support/services.js';
import type { Stores } from '../core/store/store-ports.js';
import { countingStores, type CallCounter } from './counting-stores.js';

const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1000);
const JOBS = Number(process.env['BENCH_JOBS'] ?? 2500);
const PACED_JOBS = Number(process.env['BENCH_PACED_JOBS'] ?? 1000);
const HISTORY = Number(process.env['BENCH_HISTORY'] ?? 0);
const IN_FLIGHT = Number(process.env['BENCH_IN_FLIGHT'] ?? 64);
const PARTS = (process.env['BENCH_PARTS'] ?? 'embedded,ferretdb').split(',').filter(Boolean);
const DOCKER = (process.env['BENCH_DOCKER'] ?? '0') !== '0';
const FLEET = process.env['BENCH_FLEET'] ?? 'process';
/**
 * The links: `curve` (the default, as deployed), `plaintext`, or both (`curve,plaintext`): each
 * part then runs once per link, alternating, to measure CurveZMQ's cost side by side.
 */
const LINKS = (process.env['BENCH_LINK'] ?? 'curve').split(',').filter(Boolean) as ('curve' | 'plaintext')[];
if (LINKS.length === 0 || LINKS.some((l) => l !== 'curve' && l !== 'plaintext'))
  throw new Error('BENCH_LINK must be curve, plaintext, or both separated by a comma');
if (FLEET !== 'process' && FLEET !== 'in-process')
  throw new Error('BENCH_FLEET must be process or in-process');
// Every simulated worker holds two sockets in this one process; libzmq's default cap is 1023.
context.maxSockets = Math.max(context.maxSockets, WORKERS * 2 + 64);

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const ZERO_STATS = { cycles: 0, rounds: 0, entries: 0, applyMs: 0, planMs: 0, appendMs: 0, finishMs: 0 };

const LOAD = fileURLToPath(new URL('./submit-load.ts', import.meta.url));
const FLEET_SCRIPT = fileURLToPath(new URL('./worker-fleet.ts', import.meta.url));

/** Starts the simulated workers in a child process; resolves once all started (see worker-fleet.ts). */
async function fleetProcess(c: Cluster): Promise<ChildProcess> {
  const spec = {
    managerEndpoint: c.config.cluster.managerEndpoint,
    discoveryEndpoint: c.config.cluster.discoveryEndpoint,
    prefix: 'bench-',
    count: WORKERS,
    cores: 32,
    memoryBytes: 64 * 1024 ** 3,
    heartbeatIntervalMs: 2000,
    ...(c.config.cluster.linkSecurity === 'curve'
      ? { keysDir: c.config.cluster.keysDir, enrolEndpoint: c.config.cluster.enrolEndpoint }
      : {}),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', FLEET_SCRIPT, JSON.stringify(spec)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker fleet exited with ${code}`)));
  });
  return child;
}

async function stopFleet(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Submits from a second process (see submit-load.ts), so the load does not share the event loop. */
async function load(
  c: Cluster,
  prefix: string,
  jobs: number,
  tasks: number,
  cores: number,
  ratePerS = 0,
): Promise<void> {
  const spec = { url: c.url, token: c.token, prefix, jobs, tasks, cores, inFlight: IN_FLIGHT, ratePerS };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', LOAD, JSON.stringify(spec)],
    {
      maxBuffer: 1 << 20,
    },
  );
  console.error(`[load ${prefix}] ${stdout.trim()}`);
}

/** Submit→running of every job: the last task's start (worker's time) minus the submission. */
function latencies(jobs: readonly JobRecord[]): number[] {
  return jobs
    .map((j) => Math.max(...j.tasks.map((t) => t.startedAt ?? 0)) - j.submittedAt)
    .sort((a, b) => a - b);
}

async function allRunning(c: Cluster, prefix: string, n: number): Promise<JobRecord[]> {
  const stores = c.plane.stores;
  return waitFor(
    `${n} ${prefix} jobs running`,
    async () => {
      const running = (await stores.jobs.listByStates(['running'], HISTORY + JOBS + PACED_JOBS + 10)).filter(
        (j) => j.name.startsWith(prefix) && j.tasks.every((t) => t.state === 'running'),
      );
      return running.length === n ? running : undefined;
    },
    900_000,
    250,
  );
}

async function prefillHistory(target: string | Stores | undefined): Promise<void> {
  if (HISTORY <= 0) return;
  const t = Date.parse('2026-01-01T00:00:00Z');
  const record = (i: number): JobRecord => ({
    name: `history-${i}`,
    spec: {
      name: `history-${i}`,
      format: 'native',
      priority: 0,
      network: { name: `net-history-${i}`, driver: 'auto', subnet: undefined },
      restartPolicy: { mode: 'never', maxAttempts: 0, requeueOnWorkerLoss: false },
      tasks: [],
    },
    state: 'finished',
    attempt: 0,
    priority: 0,
    submittedAt: t + i,
    scheduledAt: t + i,
    startedAt: t + i,
    finishedAt: t + i + 1000,
    unplacedReason: null,
    failureReason: null,
    cancelRequested: false,
    tasks: [],
    version: 4,
  });
  if (typeof target === 'string') {
    const mongoUrl = target;
    // Inserts are FerretDB's one cheap operation: the history goes in by insertMany.
    const client = new MongoClient(mongoUrl);
    try {
      const coll = client.db().collection<{ _id: string }>('jobs');
      for (let i = 0; i < HISTORY; i += 1000) {
        const docs = Array.from({ length: Math.min(1000, HISTORY - i) }, (_, k) => {
          const r = record(i + k);
          return { _id: r.name, ...r, activeWorkerIds: [] as string[] };
        });
        await coll.insertMany(docs);
      }
    } finally {
      await client.close();
    }
  } else {
    if (!target) throw new Error('no stores to put the history in');
    for (let i = 0; i < HISTORY; i += 5000)
      await target.jobs.insertMany(
        Array.from({ length: Math.min(5000, HISTORY - i) }, (_, k) => record(i + k)),
      );
  }
}

async function part(name: string, link: 'curve' | 'plaintext'): Promise<void> {
  const counter: CallCounter = { calls: 0, ms: 0 };
  /** The stores under the leader's projection (the history is put there directly, uncounted). */
  let rawStores: Stores | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'rswarm-bench-state-'));
  const ferret = name === 'ferretdb' || name === 'ferretdb-pg';
  const mongoServer = name === 'ferretdb-pg' ? process.env['MONGO_PG_URL'] : undefined;
  if (name === 'ferretdb-pg' && !mongoServer) {
    throw new Error('part ferretdb-pg needs MONGO_PG_URL (RSWARM_FERRET_PG=1 scripts/test-services.sh)');
  }
  const c = await startCluster({
    realBackends: ferret,
    ...(mongoServer ? { mongoServer } : {}),
    instrumentStores: (stores) => {
      rawStores = stores;
      return countingStores(counter)(stores);
    },
    overrides: {
      ...(ferret ? {} : { backends: { store: 'memory', queue: 'memory', state: 'file', stateDir } }),
      cluster: {
        heartbeatIntervalMs: 2000,
        heartbeatTimeoutMs: 30_000,
        safetyIntervalMs: 60_000,
        usageSampleIntervalMs: 0,
        linkSecurity: link,
      },
    },
  });
  let fleet: ChildProcess | undefined;
  try {
    await prefillHistory(ferret ? c.config.backends.mongoUrl : rawStores);
    const t0 = Date.now();
    if (FLEET === 'process') fleet = await fleetProcess(c);
    else {
      for (let i = 0; i < WORKERS; i++) {
        await c.addWorker({
          workerId: `bench-${i}`,
          coreIds: Array.from({ length: 32 }, (_, k) => k),
          memoryBytes: 64 * 1024 ** 3,
          heartbeatIntervalMs: 2000,
        });
      }
    }
    const stores = c.plane.stores;
    await waitFor(
      'workers',
      async () => ((await stores.workers.list()).length === WORKERS ? true : undefined),
      300_000,
      200,
    );
    console.error(`[${name}] ${WORKERS} simulated workers joined in ${Date.now() - t0} ms`);
    const leader = c.plane.jobManager?.leader;
    const before = {
      ...(leader?.stats ?? ZERO_STATS),
    };
    const calls0 = counter.calls;
    const storeMs0 = counter.ms;
    const trips0 = c.plane.stateRoundTrips();

    // Full speed.
    await load(c, 'blast-', JOBS, 4, 2);
    const submitted = Date.now();
    const blast = await allRunning(c, 'blast-', JOBS);
    const afterBlast = { ...(leader?.stats ?? ZERO_STATS) };
    const storeMs = counter.ms - storeMs0;
    const lastRunning = Math.max(...blast.flatMap((j) => j.tasks.map((t) => t.startedAt ?? 0)));
    // From the first accepted submission (the load process takes a moment to start).
    const firstSubmitted = Math.min(...blast.map((j) => j.submittedAt));
    const tasks = JOBS * 4;
    const wall = (lastRunning - firstSubmitted) / 1000;
    const calls = counter.calls - calls0;
    const trips = c.plane.stateRoundTrips() - trips0;
    const lat = latencies(blast);
    const tasksPerS = tasks / wall;

    // Half the measured rate, one-core jobs of 4 tasks, for latency.
    const rate = tasksPerS / 2 / 4; // jobs per second
    await load(c, 'paced-', PACED_JOBS, 4, 1, rate);
    const paced = latencies(await allRunning(c, 'paced-', PACED_JOBS));
    console.log(
      JSON.stringify({
        bench: 'e2e',
        link,
        backend:
          name === 'ferretdb-pg'
            ? 'FerretDB 1.24 (PostgreSQL handler) records + control log, Redis lease'
            : ferret
              ? 'FerretDB 1.24 (SQLite handler) records + control log, Redis lease'
              : 'embedded: memory records, file control log',
        workers: WORKERS,
        fleet: FLEET,
        history_jobs: HISTORY,
        tasks,
        tasks_per_s: Math.round(tasksPerS),
        submit_s: (submitted - firstSubmitted) / 1000,
        wall_s: wall,
        submit_to_running_ms_p50: pct(lat, 50),
        submit_to_running_ms_p99: pct(lat, 99),
        paced_tasks_per_s: Math.round(rate * 4),
        paced_submit_to_running_ms_p50: pct(paced, 50),
        paced_submit_to_running_ms_p99: pct(paced, 99),
        store_calls_per_task: Number((calls / tasks).toFixed(4)),
        control_log_round_trips_per_task: Number((trips / tasks).toFixed(4)),
        db_round_trips_per_task: Number(((ferret ? calls + trips : trips) / tasks).toFixed(4)),
        // The leader's cycles during the full-speed part only.
        jm_cycles: afterBlast.cycles - before.cycles,
        jm_rounds: afterBlast.rounds - before.rounds,
        jm_log_entries: afterBlast.entries - before.entries,
        jm_apply_ms: Math.round(afterBlast.applyMs - before.applyMs),
        jm_plan_ms: Math.round(afterBlast.planMs - before.planMs),
        jm_append_ms: Math.round(afterBlast.appendMs - before.appendMs),
        jm_finish_ms: Math.round(afterBlast.finishMs - before.finishMs),
        store_call_ms: Math.round(storeMs),
      }),
    );
  } finally {
    if (fleet) await stopFleet(fleet);
    await c.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function docker(): Promise<void> {
  const N = 50;
  const bare: number[] = [];
  for (let i = 0; i < N; i++) {
    const name = `rswarm-bench-bare-${process.pid}-${i}`;
    bare.push(
      timeMs(() =>
        execFileSync(
          'docker',
          ['run', '-d', '--name', name, '--cpuset-cpus', '0', '-m', '32m', SERVICES.testImage, 'sleep', '60'],
          { stdio: 'ignore' },
        ),
      ),
    );
    execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  }
  bare.sort((a, b) => a - b);
  const c = await startCluster({
    realBackends: true,
    workers: [{ workerId: 'bench-docker', runtime: 'docker', coreIds: [0, 1], memoryBytes: 8 * 1024 ** 3 }],
  });
  try {
    await waitFor('worker', async () =>
      (await c.plane.stores.workers.list()).length === 1 ? true : undefined,
    );
    const lat: number[] = [];
    for (let i = 0; i < N; i++) {
      const name = `bench-docker-${i}`;
      const t = Date.now();
      await c.api('POST', '/api/v1/jobs', {
        name,
        tasks: [{ name: 't', image: SERVICES.testImage, cores: 1, memory: '32m', command: ['sleep', '60'] }],
      });
      await waitFor(
        'running',
        async () => ((await c.plane.stores.jobs.get(name))?.state === 'running' ? true : undefined),
        30_000,
        5,
      );
      lat.push(Date.now() - t);
      await c.api('DELETE', `/api/v1/jobs/${name}`);
      await waitFor(
        'cancelled',
        async () => ((await c.plane.stores.jobs.get(name))?.state === 'cancelled' ? true : undefined),
        30_000,
        20,
      );
    }
    lat.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'e2e-docker',
        containers: N,
        submit_to_running_ms_p50: pct(lat, 50),
        p99: pct(lat, 99),
        bare_docker_run_ms_p50: Math.round(pct(bare, 50)),
        ratio: Number((pct(lat, 50) / pct(bare, 50)).toFixed(2)),
      }),
    );
  } finally {
    await c.close();
  }
}

for (const p of PARTS) for (const link of LINKS) await part(p, link);
if (DOCKER) await docker();
process.exit(0);

/**
 * End-to-end benchmark (not a test): real FerretDB/MongoDB + Redis + ZeroMQ, simulated workers,
 * jobs of 4 × 2-core tasks submitted over HTTP as fast as they are accepted. Then, with Docker,
 * submit→running of 50 containers against a bare `docker run` of the same image.
 *
 *   npm run bench:e2e            (env: BENCH_WORKERS=1000 BENCH_JOBS=2000 BENCH_DOCKER=1)
 *
 * Prints one JSON line per part, and where the JobManager's time went.
 */
import { execFileSync } from 'node:child_process';
import { context } from 'zeromq';
import { startCluster, waitFor } from '../test/support/control-plane-harness.js';
import { SERVICES } from '../test/support/services.js';

const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1000);
const JOBS = Number(process.env['BENCH_JOBS'] ?? 2000);
const IN_FLIGHT = Number(process.env['BENCH_IN_FLIGHT'] ?? 64);
const DOCKER = (process.env['BENCH_DOCKER'] ?? '1') !== '0';
// Every simulated worker holds two sockets in this one process; libzmq's default cap is 1023.
context.maxSockets = Math.max(context.maxSockets, WORKERS * 2 + 64);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function submitAll(c: Awaited<ReturnType<typeof startCluster>>, bodies: unknown[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const r = await c.api('POST', '/api/v1/jobs', body);
        if (r.status !== 202) throw new Error(`submit failed: ${r.status} ${r.text}`);
      }
    }),
  );
}

async function simulated(): Promise<void> {
  const c = await startCluster({
    realBackends: true,
    overrides: {
      cluster: { heartbeatIntervalMs: 2000, heartbeatTimeoutMs: 30_000, safetyIntervalMs: 60_000 },
    },
  });
  try {
    const t0 = Date.now();
    for (let i = 0; i < WORKERS; i++) {
      await c.addWorker({
        workerId: `bench-${i}`,
        coreIds: Array.from({ length: 32 }, (_, k) => k),
        memoryBytes: 64 * 1024 ** 3,
        heartbeatIntervalMs: 2000,
      });
    }
    await waitFor(
      'workers',
      async () => ((await c.plane.stores.workers.list()).length === WORKERS ? true : undefined),
      120_000,
      200,
    );
    console.error(`${WORKERS} simulated workers joined in ${Date.now() - t0} ms`);
    const bodies = Array.from({ length: JOBS }, (_, i) => ({
      name: `bench-${i}`,
      tasks: Array.from({ length: 4 }, (_, k) => ({
        name: `t${k}`,
        image: 'busybox',
        cores: 2,
        memory: '50m',
        runSeconds: 3600,
      })),
    }));
    const start = Date.now();
    await submitAll(c, bodies);
    const submitted = Date.now();
    const jobs = await waitFor(
      'all tasks running',
      async () => {
        const running = await c.plane.stores.jobs.listByStates(['running'], JOBS + 1);
        const all = running.filter((j) => j.tasks.every((t) => t.state === 'running'));
        return all.length === JOBS ? all : undefined;
      },
      600_000,
      500,
    );
    const lastRunning = Math.max(...jobs.flatMap((j) => j.tasks.map((t) => t.startedAt ?? 0)));
    const latencies = jobs
      .map((j) => Math.max(...j.tasks.map((t) => t.startedAt ?? 0)) - j.submittedAt)
      .sort((a, b) => a - b);
    const tasks = JOBS * 4;
    const wall = (lastRunning - start) / 1000;
    const stats = c.plane.jobManager?.leader.stats;
    console.log(
      JSON.stringify({
        bench: 'e2e',
        workers: WORKERS,
        tasks,
        tasks_per_s: Math.round(tasks / wall),
        submit_to_running_ms_p50: pct(latencies, 50),
        p99: pct(latencies, 99),
        submit_s: (submitted - start) / 1000,
        wall_s: wall,
        store: 'FerretDB (SQLite)',
        jm_cycles: stats?.cycles,
        jm_rounds: stats?.rounds,
        jm_log_entries: stats?.entries,
        jm_apply_ms: Math.round(stats?.applyMs ?? 0),
        jm_plan_ms: Math.round(stats?.planMs ?? 0),
        jm_append_ms: Math.round(stats?.appendMs ?? 0),
      }),
    );
  } finally {
    await c.close();
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

await simulated();
if (DOCKER) await docker();
process.exit(0);

/**
 * The Docker parts of `npm run bench:gateway` (issue 12, "Show it"): a real control plane
 * (FerretDB, Redis) with one real Docker worker and the gateway, services whose replica is busybox
 * `httpd` in the test image. One JSON line each:
 *
 * - `gateway-docker-cold-start`: zero → first response byte through the gateway, against a bare
 *   `docker run -d -p 0:8080 --cpuset-cpus 0 -m 16m` of the same image and command polled on its
 *   published port until the first byte of the same page; alternating round by round, p50/p99 of
 *   each and the ratio (goal ≤ 1.3×). Also request → the container's `State.StartedAt` on each
 *   side: what placement and container start cost, apart from readiness probing.
 * - `gateway-docker-cold-100`: 100 concurrent cold requests → replica jobs ever made (must be 1)
 *   and the requests' p50/p99.
 * - `gateway-docker-added-latency`: the same GET to the same replica container, directly on its
 *   published port and through the gateway, alternating, p50/p99 and the difference.
 *
 * Zero between cold rounds is reached by deleting the service and creating a fresh one (a new
 * name): the delete is one control-state command whose end is observable (no container of the
 * service left), while waiting for idle culling would add `idleTimeoutMs` plus the gateway's idle
 * check period per round and leave the gateway's pool of the old replica in play. A fresh name
 * also guarantees no cached endpoint or warm pool. Every container made here is removed: the
 * worker's (by its label) and the bare ones (by name), also when a round fails.
 */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import { LABELS } from '../core/model/index.js';
import { startCluster, waitFor, type Cluster } from '../test/support/control-plane-harness.js';
import { SERVICES, uniqueName } from '../test/support/services.js';
import { dockerClientFor } from '../worker/docker-runtime.js';

const run = promisify(execFile);

/** Cold rounds per side (alternating gateway, bare). */
const ROUNDS = Number(process.env['BENCH_COLD_ROUNDS'] ?? 10);
/** Alternating warm requests per side for the added latency. */
const WARM_REQUESTS = Number(process.env['BENCH_DOCKER_REQUESTS'] ?? 500);
const CONCURRENCY = 100;
/** Poll period of the bare side: fine, so the bare baseline is at its best. */
const BARE_POLL_MS = 5;

/** busybox httpd serving one page, in the foreground (the services tests' replica). */
const HTTPD = [
  'sh',
  '-c',
  'mkdir -p /tmp/www && echo "hello from $HOSTNAME" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
];

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const round = (ms: number): number => Math.round(ms * 1000) / 1000;
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** One GET; resolves at the first response byte (headers in) and at the last, in ms from `start`. */
function firstByte(
  url: string,
  agent: Agent | false,
  token?: string,
): Promise<{ firstMs: number; firstAt: number; lastMs: number; status: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const firstAt = performance.now();
      const firstMs = firstAt - start;
      res.resume();
      res.on('end', () =>
        resolve({ firstMs, firstAt, lastMs: performance.now() - start, status: res.statusCode ?? 0 }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The bare baseline: `docker run` then poll the published port until the page's first byte. */
async function bareColdStart(
  name: string,
  bare: Set<string>,
): Promise<{ firstByteMs: number; startedMs: number }> {
  const t0 = performance.now();
  const wall0 = Date.now();
  bare.add(name);
  await run('docker', [
    'run',
    '-d',
    '--name',
    name,
    '-p',
    '127.0.0.1:0:8080',
    '--cpuset-cpus',
    '0',
    '-m',
    '16m',
    SERVICES.testImage,
    ...HTTPD,
  ]);
  const { stdout } = await run('docker', ['port', name, '8080/tcp']);
  const port = /:(\d+)\s*$/m.exec(stdout)?.[1];
  if (!port) throw new Error(`no published port for ${name}: ${stdout}`);
  for (;;) {
    try {
      const r = await firstByte(`http://127.0.0.1:${port}/index.html`, false);
      if (r.status === 200) {
        const firstByteMs = r.firstAt - t0;
        const { stdout: started } = await run('docker', ['inspect', '-f', '{{.State.StartedAt}}', name]);
        return { firstByteMs, startedMs: Date.parse(started.trim()) - wall0 };
      }
    } catch {
      // Not listening yet (refused or reset while httpd starts).
    }
    if (performance.now() - t0 > 30_000) throw new Error(`${name} never answered`);
    await new Promise((r) => setTimeout(r, BARE_POLL_MS));
  }
}

/** The Docker parts; each result is one JSON line's object. */
export async function dockerParts(): Promise<Record<string, unknown>[]> {
  const docker = dockerClientFor(SERVICES.dockerHost);
  const workerId = uniqueName('bench-gw');
  const bare = new Set<string>();
  const services: string[] = [];
  let c: Cluster | undefined;
  const results: Record<string, unknown>[] = [];
  try {
    c = await startCluster({
      realBackends: true,
      gateway: true,
      workers: [{ workerId, runtime: 'docker', coreIds: [0, 1], memoryBytes: 1024 * 1024 ** 2 }],
    });
    const cluster = c;
    const gatewayUrl = cluster.plane.gatewayUrl as string;
    await waitFor('the docker worker joined', async () =>
      ((await cluster.api('GET', '/api/v1/workers')).body as { state: string }[]).some(
        (w) => w.state === 'ready',
      )
        ? true
        : undefined,
    );
    const create = async (): Promise<string> => {
      const name = uniqueName('bench');
      services.push(name);
      const res = await cluster.api('POST', '/api/v1/services', {
        name,
        image: SERVICES.testImage,
        command: HTTPD,
        port: 8080,
        cores: 1,
        memory: '16m',
        maxReplicas: 2,
      });
      if (res.status !== 201) throw new Error(`service ${name}: ${res.status} ${res.text}`);
      return name;
    };
    const containersOf = async (name: string) =>
      (
        await docker.listContainers({ all: true, filters: { label: [`${LABELS.worker}=${workerId}`] } })
      ).filter((i) => (i.Labels[LABELS.job] ?? '').startsWith(`svc-${name}-`));
    const remove = async (name: string): Promise<void> => {
      await cluster.api('DELETE', `/api/v1/services/${name}`);
      await waitFor(
        `no container of ${name} left`,
        async () => ((await containersOf(name)).length === 0 ? true : undefined),
        60_000,
      );
      services.splice(services.indexOf(name), 1);
    };

    // (1) cold start, gateway and bare docker run alternating.
    const viaGateway: number[] = [];
    const bareRun: number[] = [];
    // Request → Docker's StartedAt of the container (its own clock, read afterwards, so nothing
    // polls during the round): separates placement and container start from readiness probing.
    const gatewayStarted: number[] = [];
    const bareStarted: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const name = await create();
      const wall0 = Date.now();
      const g = await firstByte(`${gatewayUrl}/${name}/index.html`, false, cluster.token);
      if (g.status !== 200) throw new Error(`cold request to ${name}: ${g.status}`);
      viaGateway.push(g.firstMs);
      const [replica] = await containersOf(name);
      if (replica) {
        const inspect = await docker.getContainer(replica.Id).inspect();
        gatewayStarted.push(Date.parse(inspect.State.StartedAt) - wall0);
      }
      await remove(name);
      const bareName = `rswarm-bench-bare-${process.pid}-${i}`;
      const b = await bareColdStart(bareName, bare);
      bareRun.push(b.firstByteMs);
      bareStarted.push(b.startedMs);
      await run('docker', ['rm', '-f', bareName]);
      bare.delete(bareName);
    }
    const gs = sorted(viaGateway);
    const bs = sorted(bareRun);
    results.push({
      bench: 'gateway-docker-cold-start',
      rounds: ROUNDS,
      zeroBy: 'delete + recreate (fresh name)',
      gatewayFirstByteP50Ms: round(pct(gs, 50)),
      gatewayFirstByteP99Ms: round(pct(gs, 99)),
      bareDockerRunFirstByteP50Ms: round(pct(bs, 50)),
      bareDockerRunFirstByteP99Ms: round(pct(bs, 99)),
      ratioP50: Number((pct(gs, 50) / pct(bs, 50)).toFixed(2)),
      ratioP99: Number((pct(gs, 99) / pct(bs, 99)).toFixed(2)),
      goalRatio: 1.3,
      gatewayContainerStartedP50Ms: round(pct(sorted(gatewayStarted), 50)),
      bareContainerStartedP50Ms: round(pct(sorted(bareStarted), 50)),
      barePollMs: BARE_POLL_MS,
      readinessBackoffMs: '200 doubling to 1000 (gateway defaults)',
    });

    // (3) 100 concurrent cold requests.
    const name = await create();
    const replies = await Promise.all(
      Array.from({ length: CONCURRENCY }, () =>
        firstByte(`${gatewayUrl}/${name}/index.html`, false, cluster.token),
      ),
    );
    const jobs = ((await cluster.api('GET', '/api/v1/jobs?limit=1000')).body as { items: { name: string }[] })
      .items;
    const ms = sorted(replies.map((r) => r.lastMs));
    results.push({
      bench: 'gateway-docker-cold-100',
      concurrency: CONCURRENCY,
      replicasStarted: jobs.filter((j) => j.name.startsWith(`svc-${name}-`)).length,
      ok: replies.filter((r) => r.status === 200).length,
      p50Ms: round(pct(ms, 50)),
      p99Ms: round(pct(ms, 99)),
    });

    // (2') added latency over a direct request to that same replica container.
    const [info] = await containersOf(name);
    const hostPort = info?.Ports.find((p) => p.PrivatePort === 8080 && p.PublicPort)?.PublicPort;
    if (!hostPort) throw new Error(`no published port on the replica of ${name}`);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const direct: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < WARM_REQUESTS + 50; i++) {
      const d = await firstByte(`http://127.0.0.1:${hostPort}/index.html`, agent);
      const g = await firstByte(`${gatewayUrl}/${name}/index.html`, agent, cluster.token);
      if (d.status !== 200 || g.status !== 200) throw new Error(`status ${d.status}/${g.status}`);
      if (i >= 50) {
        direct.push(d.lastMs);
        through.push(g.lastMs);
      }
    }
    agent.destroy();
    const ds = sorted(direct);
    const ts = sorted(through);
    results.push({
      bench: 'gateway-docker-added-latency',
      requests: WARM_REQUESTS,
      directP50Ms: round(pct(ds, 50)),
      directP99Ms: round(pct(ds, 99)),
      gatewayP50Ms: round(pct(ts, 50)),
      gatewayP99Ms: round(pct(ts, 99)),
      addedP50Ms: round(pct(ts, 50) - pct(ds, 50)),
      addedP99Ms: round(pct(ts, 99) - pct(ds, 99)),
      goalAddedP50Ms: 1,
    });
    await remove(name);
    return results;
  } finally {
    for (const s of services) await c?.api('DELETE', `/api/v1/services/${s}`).catch(() => undefined);
    await c?.close();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.worker}=${workerId}`] },
    });
    for (const i of left)
      await docker
        .getContainer(i.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const b of bare) await run('docker', ['rm', '-f', b]).catch(() => undefined);
  }
}

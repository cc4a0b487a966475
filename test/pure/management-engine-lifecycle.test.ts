/**
 * @module Management engine with fake process hosts (local and "SSH"): bring-up order and
 * rollback, refusal to start twice, and `down` stopping exactly the recorded processes —
 * workers first, never an unrelated or recycled PID — idempotently, keeping what an
 * unreachable host still runs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock/clock.js';
import { parseClusterSpec } from '../../management-engine/cluster-file.js';
import { ClusterEngine, type ClusterEngineDeps } from '../../management-engine/cluster-engine.js';
import type { ControlPlaneProbe } from '../../management-engine/control-plane-probe.js';
import { FakeProcessHost } from '../../management-engine/fake-process-host.js';

interface World {
  engine: ClusterEngine;
  local: FakeProcessHost;
  remote: FakeProcessHost;
  out: string[];
  stateFile: string;
  closedPorts: Set<number>;
  /** When false, connecting to the worker host fails. */
  reachable: { value: boolean };
  joined: { value: boolean };
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function world(extra: Record<string, any> = {}, deps: Partial<ClusterEngineDeps> = {}): World {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-me-fake-'));
  dirs.push(dir);
  const spec = parseClusterSpec(
    {
      name: 'lab',
      logDir: dir,
      controlPlane: {
        backends: { mode: 'external', mongoUrl: 'mongodb://db/x', redisUrl: 'redis://r' },
        token: 'api-token-0123456789',
        startTimeoutMs: 1000,
      },
      workers: [{ host: 'w1', user: 'ops', identityFile: '/k', cwd: '/opt/rs', workerId: 'w1' }],
      joinTimeoutMs: 2000,
      ...extra,
    },
    join(dir, 'cluster.yaml'),
    dir,
  );
  let now = 0;
  const clock: Clock = { now: () => now, sleep: (ms) => Promise.resolve(void (now += ms)) };
  const local = new FakeProcessHost('local');
  const remote = new FakeProcessHost('ops@w1:22');
  const closedPorts = new Set<number>();
  const reachable = { value: true };
  const joined = { value: true };
  const probe: ControlPlaneProbe = {
    portOpen: (_h, port) => Promise.resolve(!closedPorts.has(port)),
    health: () => Promise.resolve(closedPorts.has(5001) ? undefined : 200),
    workers: () =>
      Promise.resolve(
        joined.value
          ? [...remote.processes.values()]
              .filter((p) => p.alive && p.env['RSWARM_WORKER_ID'])
              .map((p) => ({ id: p.env['RSWARM_WORKER_ID']!, state: 'ready' }))
          : [],
      ),
    manager: () => Promise.resolve({ queueDepth: 0, workers: { ready: 1 }, strategy: 'best-fit' }),
  };
  const out: string[] = [];
  const engine = ClusterEngine.create(spec, {
    local,
    connect: () =>
      reachable.value ? Promise.resolve(remote) : Promise.reject(new Error('ops@w1:22: connection refused')),
    probe,
    clock,
    out: (l) => out.push(l),
    runForeground: () => Promise.resolve(0),
    rswarmCommand: ['rswarm'],
    cwd: '/repo',
    defaultKnownHosts: '/root/.ssh/known_hosts',
    secret: () => 'generated-secret-0123456789',
    ...deps,
  });
  return {
    engine,
    local,
    remote,
    out,
    stateFile: join(dir, 'cluster-state.json'),
    closedPorts,
    reachable,
    joined,
  };
}

test('up: components in dependency order, then the worker over SSH; down: worker first, then reverse', async () => {
  const w = world();
  const bystanderLocal = w.local.spawnUnrelated(['postgres']);
  const bystanderRemote = w.remote.spawnUnrelated(['sshd']);
  const up = await w.engine.up();
  assert.deepEqual(
    w.local.started.map((s) => s.argv.at(-1)),
    ['global-manager', 'discovery', 'job-manager', 'frontend'],
  );
  assert.equal(w.remote.started[0]!.env['RSWARM_JOIN_TOKEN'], 'generated-secret-0123456789');
  assert.equal(up.processes.length, 5);
  const state = JSON.parse(readFileSync(w.stateFile, 'utf8'));
  assert.deepEqual(
    state.processes.map((p: any) => `${p.kind}:${p.name}`),
    ['local:global-manager', 'local:discovery', 'local:job-manager', 'local:frontend', 'remote:worker w1'],
  );
  assert.equal(w.remote.closed, 2, 'SSH connections (preflight, start) are released');

  const down = await w.engine.down();
  assert.deepEqual(
    down.stopped.map((s) => `${s.record.name} ${s.outcome}`),
    [
      'worker w1 stopped',
      'frontend stopped',
      'job-manager stopped',
      'discovery stopped',
      'global-manager stopped',
    ],
  );
  const recorded = new Set(state.processes.map((p: any) => p.pid));
  for (const s of [...w.local.signals, ...w.remote.signals])
    assert.ok(recorded.has(Number(s.split(' ')[1])), s);
  assert.equal(bystanderLocal.alive && bystanderRemote.alive, true, 'unrelated processes untouched');
  assert.equal(existsSync(w.stateFile), false);
  const again = await w.engine.down();
  assert.deepEqual(again, { stopped: [], remaining: [], errors: [] });
  assert.match(w.out.at(-1)!, /nothing to stop/);
});

test("a remote worker gets the control plane's public key and cluster id, read from its keys directory", async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rswarm-me-cwd-'));
  dirs.push(cwd);
  const w = world({}, { cwd });
  // What the control plane writes at its first start (core/security/cluster-keys.ts); written
  // here before up(), as the fake components write nothing.
  const keys = join(cwd, '.rswarm', 'keys');
  mkdirSync(keys, { recursive: true });
  const publicKey = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
  writeFileSync(join(keys, 'control-plane.pub'), publicKey + '\n');
  writeFileSync(join(keys, 'cluster-id'), 'c0123456789ab\n');
  await w.engine.up();
  const env = w.remote.started[0]!.env;
  assert.equal(env['RSWARM_CONTROL_PLANE_PUBLIC_KEY'], publicKey);
  assert.equal(env['RSWARM_CLUSTER_ID'], 'c0123456789ab');
  const config = readFileSync(join(w.stateFile, '..', 'control-plane.yaml'), 'utf8');
  assert.match(
    config,
    new RegExp(`keysDir: ${keys}`),
    'the control plane uses the directory the engine reads',
  );
  await w.engine.down();
});

test('without keys (a plaintext control plane) the worker gets neither variable', async () => {
  const w = world();
  await w.engine.up();
  const env = w.remote.started[0]!.env;
  assert.equal(env['RSWARM_CONTROL_PLANE_PUBLIC_KEY'], undefined);
  assert.equal(env['RSWARM_CLUSTER_ID'], undefined);
  await w.engine.down();
});

test('down never signals a recycled PID; a process ignoring SIGTERM is killed', async () => {
  const w = world();
  await w.engine.up();
  const [gm, , jm] = [...w.local.processes.values()];
  gm!.alive = false;
  const stranger = w.local.recycle(gm!.pid);
  jm!.ignoresTerm = true;
  const down = await w.engine.down();
  assert.deepEqual(
    down.stopped.map((s) => `${s.record.name} ${s.outcome}`),
    [
      'worker w1 stopped',
      'frontend stopped',
      'job-manager killed',
      'discovery stopped',
      'global-manager gone',
    ],
  );
  assert.equal(stranger.alive, true);
  assert.ok(!w.local.signals.some((s) => s.endsWith(` ${gm!.pid}`)), 'no signal to the recycled PID');
});

test('a component that dies during start-up stops the bring-up with its log tail and undoes it', async () => {
  const w = world();
  w.local.onStart = (p, spec) => {
    if (spec.name === 'discovery') {
      p.alive = false;
      w.local.logs.set(spec.logFile, 'starting\nError: EADDRINUSE 4000');
    }
  };
  await assert.rejects(
    w.engine.up(),
    /discovery \(pid \d+\) exited during start-up; last lines of .*lab-discovery\.log:\nstarting\nError: EADDRINUSE 4000/,
  );
  const gm = [...w.local.processes.values()][0]!;
  assert.equal(gm.alive, false, 'the GlobalManager started before it was stopped');
  assert.deepEqual(w.local.signals, [`SIGTERM ${gm.pid}`]);
  assert.equal(w.remote.started.length, 0, 'no worker started');
  assert.equal(existsSync(w.stateFile), false);
});

test('a failed health check names the check and the timeout', async () => {
  const w = world();
  w.closedPorts.add(2990);
  await assert.rejects(
    w.engine.up(),
    /job-manager \(pid \d+\) failed its health check tcp 127\.0\.0\.1:2990 within 1000 ms/,
  );
  assert.equal([...w.local.processes.values()].filter((p) => p.alive).length, 0);
});

test('a worker that never joins is stopped with everything else', async () => {
  const w = world();
  w.joined.value = false;
  await assert.rejects(
    w.engine.up(),
    /worker w1 \(remote pid \d+\) did not join within 2000 ms \(0 worker\(s\) known to the API\)/,
  );
  assert.equal([...w.remote.processes.values()].filter((p) => p.alive).length, 0);
  assert.equal([...w.local.processes.values()].filter((p) => p.alive).length, 0);
});

test('a worker host that refuses the connection stops the bring-up before anything starts', async () => {
  const w = world();
  w.reachable.value = false;
  await assert.rejects(w.engine.up(), /worker w1: ops@w1:22: connection refused; nothing was started/);
  assert.equal(w.local.started.length, 0);
  assert.equal(existsSync(w.stateFile), false);
});

test('stress: `rswarm stress <args> --url <api>` in <logDir>/stress, token in its .rswarm/token', async () => {
  const runs: { argv: readonly string[]; cwd: string; token: string }[] = [];
  const w = world(
    { stress: { enabled: false, args: ['steady', '--turns', '2'] } },
    {
      runForeground: (argv, cwd) => {
        runs.push({ argv, cwd, token: readFileSync(join(cwd, '.rswarm', 'token'), 'utf8').trim() });
        return Promise.resolve(3);
      },
    },
  );
  const r = await w.engine.up({ stress: true });
  assert.equal(r.stressExitCode, 3);
  assert.deepEqual(runs[0]!.argv, [
    'rswarm',
    'stress',
    'steady',
    '--turns',
    '2',
    '--url',
    'http://127.0.0.1:5001',
  ]);
  assert.match(runs[0]!.cwd, /\/stress$/);
  assert.equal(runs[0]!.token, 'api-token-0123456789');
});

test('up refuses while recorded processes run', async () => {
  const w = world();
  await w.engine.up();
  await assert.rejects(w.engine.up(), /cluster "lab" is already up: 5 of 5 recorded process\(es\) still run/);
  assert.equal(w.local.started.length, 4);
});

test('an unreachable worker host: its process stays recorded, the rest stops; a later down finishes', async () => {
  const w = world();
  await w.engine.up();
  w.reachable.value = false;
  const first = await w.engine.down();
  assert.deepEqual(
    first.remaining.map((r) => r.name),
    ['worker w1'],
  );
  assert.match(first.errors.join(), /connection refused/);
  assert.equal(JSON.parse(readFileSync(w.stateFile, 'utf8')).processes.length, 1);
  w.reachable.value = true;
  const second = await w.engine.down();
  assert.deepEqual(
    second.stopped.map((s) => s.record.name),
    ['worker w1'],
  );
  assert.equal(existsSync(w.stateFile), false);
});

test('status: each recorded process and the API view', async () => {
  const w = world();
  await w.engine.up();
  [...w.local.processes.values()][2]!.alive = false;
  const s = await w.engine.status();
  assert.deepEqual(
    s.processes.map((p) => `${p.record.name}=${String(p.running)}`),
    ['global-manager=true', 'discovery=true', 'job-manager=false', 'frontend=true', 'worker w1=true'],
  );
  assert.deepEqual(s.workersByState, { ready: 1 });
  assert.equal(s.queueDepth, 0);
});

test('one operation at a time: a second call while up runs is refused', async () => {
  const w = world();
  const up = w.engine.up();
  await assert.rejects(w.engine.down(), /the cluster engine is busy/);
  await up;
  assert.equal((await w.engine.down()).stopped.length, 5);
});

test('close: later operations are refused', async () => {
  const w = world();
  await w.engine.close();
  await assert.rejects(w.engine.status(), /the cluster engine is closed/);
});

/**
 * @module The management engine end to end: `rswarm cluster up` starts the control plane as
 * local processes on FerretDB + Redis and one real worker process through a real OpenSSH
 * server on 127.0.0.1 (key auth, known_hosts checked); jobs run; `status` sees it all;
 * `down` stops exactly the started PIDs and leaves an unrelated process alive. A worker whose
 * host key does not match is refused before anything starts. The SSH adapter alone: host keys,
 * start, PID identity, stop and kill on the real server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../support/control-plane-harness.js';
import { SERVICES, mongoUrlFor, uniqueName } from '../support/services.js';
import { startTestSshServer } from '../support/ssh-server.js';
import { connectSsh } from '../../management-engine/ssh-remote-shell.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(REPO, 'cli', 'main.ts');

function rswarm(args: string[], timeoutMs = 180_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: REPO, env: process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, out: stdout + stderr });
      },
    );
  });
}

/** State letter and start time (field 22) of `pid`, from /proc. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** True while `pid` runs with `startTime` and is no zombie. */
function running(pid: number, startTime: string): boolean {
  const st = procStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== 'Z';
}

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test('cluster up (control plane local, worker over sshd) → jobs → status → down', async (t) => {
  const sshd = await startTestSshServer();
  // Unrelated to the cluster: must survive `down`.
  const bystander = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  bystander.unref();

  const dir = mkdtempSync(join(tmpdir(), 'rswarm-me-'));
  const name = uniqueName('me');
  const db = name.replace(/-/g, '_');
  const token = `tok-${name}-0123456789abcdef`;
  const workerId = `ssh-${name}`;
  const worker = {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.identityFile,
    knownHosts: sshd.wrongKnownHosts,
    cwd: REPO,
    command: `${process.execPath} --import tsx cli/main.ts worker`,
    logDir: join(dir, 'remote-logs'),
    workerId,
    runtime: 'simulated',
    cpuset: '0-3',
    memory: '4g',
  };
  const cluster = {
    name,
    logDir: join(dir, 'logs'),
    controlPlane: {
      ports: {
        frontend: await freePort(),
        globalManager: await freePort(),
        enrolment: await freePort(),
        discovery: await freePort(),
        jobManager: await freePort(),
      },
      backends: {
        mode: 'external',
        mongoUrl: mongoUrlFor(db),
        redisUrl: SERVICES.redisUrl,
        queueName: db,
      },
      token,
      logLevel: 'warn',
    },
    workers: [worker],
    // A short real-time stress run through `rswarm stress`, only with `cluster up --stress`.
    stress: {
      enabled: false,
      args: [
        'steady',
        '--jobs-per-turn',
        '2',
        '--turns',
        '3',
        '--interval',
        '1',
        '--tasks',
        '1',
        '--cores',
        '1',
        '--memory',
        '64m',
        '--run-seconds',
        '0.3',
        '--seed',
        '7',
        '--timeout',
        '60s',
        '--out',
        join(dir, 'report'),
      ],
    },
    stopGraceMs: 5000,
    joinTimeoutMs: 30_000,
  };
  const file = join(dir, 'cluster.yaml');
  const stateFile = join(dir, 'logs', 'cluster-state.json');
  const apiUrl = `http://127.0.0.1:${cluster.controlPlane.ports.frontend}`;
  // One hook, in order: tear down what is left (needs sshd), then sshd, the bystander, the files.
  t.after(async () => {
    if (existsSync(stateFile)) await rswarm(['cluster', 'down', '-f', file]);
    await sshd.close();
    bystander.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // 1. A worker host whose key is not the recorded one: refused before anything starts.
  writeFileSync(file, stringify(cluster));
  const refused = await rswarm(['cluster', 'up', '-f', file]);
  assert.notEqual(refused.code, 0, refused.out);
  assert.match(refused.out, /HOST KEY MISMATCH for \[127\.0\.0\.1\]:\d+/);
  assert.match(refused.out, /nothing was started/);
  assert.equal(existsSync(stateFile), false, 'no state file left after a failed bring-up');
  assert.equal(
    (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.status,
    undefined,
    'no FrontEnd was started',
  );

  // 2. The right known_hosts: everything comes up and the worker joins through sshd.
  writeFileSync(file, stringify({ ...cluster, workers: [{ ...worker, knownHosts: sshd.knownHosts }] }));
  const up = await rswarm(['cluster', 'up', '-f', file, '--stress']);
  assert.equal(up.code, 0, up.out);
  assert.match(up.out, new RegExp(`worker ${workerId} joined`));
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  assert.deepEqual(
    state.processes.map((p: any) => `${p.kind} ${p.name}`),
    [
      'local global-manager',
      'local discovery',
      'local job-manager',
      'local frontend',
      `remote worker ${workerId}`,
    ],
  );
  for (const p of state.processes) assert.ok(running(p.pid, p.startTime), `${p.name} runs`);
  const remote = state.processes[4];
  const cmdline = readFileSync(`/proc/${remote.pid}/cmdline`, 'utf8');
  assert.match(cmdline, /cli\/main\.ts\0worker/);
  assert.match(
    readFileSync(`/proc/${remote.pid}/environ`, 'utf8'),
    new RegExp(`(^|\0)RSWARM_WORKER_ID=${workerId}\0`),
  );
  assert.doesNotMatch(cmdline, /JOIN_TOKEN/, 'the join token travels in the environment, not argv');
  assert.match(readFileSync(sshd.logFile, 'utf8'), /Accepted publickey for /, 'the worker came through sshd');
  assert.equal(readFileSync(join(dir, 'logs', 'token'), 'utf8').trim(), token);

  // 3. The stress run's jobs ran on the SSH-launched worker and all finished.
  assert.match(up.out, /stress: exit code 0/);
  const jobs = (await api(apiUrl, token, 'GET', '/api/v1/jobs?limit=1000')).body.items;
  assert.equal(jobs.length, 6, 'steady: 2 jobs per turn × 3 turns');
  assert.deepEqual(
    jobs.map((j: any) => `${j.state} on ${j.tasks.map((x: any) => x.worker).join()}`),
    jobs.map(() => `finished on ${workerId}`),
  );
  assert.ok(existsSync(join(dir, 'report')), 'the stress run wrote its report');

  // 4. status: every process running, the API sees one ready worker.
  const status = await rswarm(['cluster', 'status', '-f', file]);
  assert.equal(status.code, 0, status.out);
  assert.equal(status.out.match(/ running$/gm)?.length, 5, status.out);
  assert.match(status.out, /workers ready 1(, \w+ 0)*; queue depth 0/);

  // 5. down: exactly the recorded PIDs end, the bystander lives, the state file goes; twice is fine.
  const bystanderStart = procStat(bystander.pid!)!.startTime;
  const down = await rswarm(['cluster', 'down', '-f', file]);
  assert.equal(down.code, 0, down.out);
  for (const p of state.processes) assert.equal(running(p.pid, p.startTime), false, `${p.name} stopped`);
  assert.equal(running(bystander.pid!, bystanderStart), true, 'the unrelated process survives');
  assert.equal(existsSync(stateFile), false);
  const again = await rswarm(['cluster', 'down', '-f', file]);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /nothing to stop/);
});

test('SSH remote shell on a real sshd: host keys checked; start, identity, stop, kill', async (t) => {
  const sshd = await startTestSshServer();
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-me-shell-'));
  t.after(async () => {
    await sshd.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const target = {
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.identityFile,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: true,
  };
  const empty = join(dir, 'empty_known_hosts');
  writeFileSync(empty, '');
  await assert.rejects(
    connectSsh({ ...target, knownHosts: empty }),
    /host \[127\.0\.0\.1\]:\d+ is not in .*empty_known_hosts \(0 of 0 entries match\)/,
  );
  await assert.rejects(connectSsh({ ...target, knownHosts: sshd.wrongKnownHosts }), /HOST KEY MISMATCH/);
  await assert.rejects(
    connectSsh({ ...target, knownHosts: join(dir, 'missing') }),
    /cannot read knownHosts .*strictHostKeyChecking is on/,
  );
  await (await connectSsh({ ...target, knownHosts: empty, strictHostKeyChecking: false })).close();

  const host = await connectSsh(target);
  try {
    const log = join(dir, 'remote', 'p.log');
    const spec = { name: 'p', cwd: dir, logFile: log };
    const polite = await host.start({
      ...spec,
      argv: ['sh', '-c', 'echo "secret=$SECRET"; exec sleep 30'],
      env: { SECRET: "it's $x" },
    });
    const stubborn = await host.start({
      ...spec,
      argv: ['sh', '-c', 'trap "" TERM; exec sleep 30'],
      env: {},
    });
    assert.equal(await host.isRunning(polite), true);
    assert.equal(
      await host.isRunning({ pid: polite.pid, startTime: '1' }),
      false,
      'same PID, other start time: not ours',
    );
    assert.equal(
      await host.stop({ pid: polite.pid, startTime: '1' }, 500),
      'gone',
      'a PID with another start time is never signalled',
    );
    assert.equal(running(polite.pid, polite.startTime), true);
    assert.equal(await host.stop(polite, 5000), 'stopped');
    assert.equal(await host.stop(stubborn, 300), 'killed');
    assert.equal(running(stubborn.pid, stubborn.startTime), false);
    assert.equal(await host.stop(polite, 300), 'gone', 'idempotent');
    assert.match(await host.tail(log, 5), /secret=it's \$x/, 'env values arrive unchanged, quoting intact');
    await assert.rejects(
      host.start({ ...spec, cwd: join(dir, 'nope'), argv: ['true'], env: {} }),
      /cannot start p \(exit 97\): cannot cd to/,
    );
  } finally {
    await host.close();
  }
});

/**
 * @module The operator CLI (`rswarm job|node|strategy|cluster status|config`) run in process
 * against an in-process control plane (memory store and queue, simulated workers): a job from a
 * YAML file run, listed, inspected, watched and stopped; nodes drained, undrained and removed;
 * the strategy read and switched; the cluster status; `-o json` as the API answered; contexts of
 * the client config file; and the exit codes (1 with the API's code, 2 bad input, 3 bad token or
 * no server, 4 a watched job that ended badly).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { runCli } from '../support/operator-cli.js';

describe('operator CLI against an in-process control plane', () => {
  let c: Cluster;
  let dir: string;
  let env: Record<string, string>;
  const cli = (...argv: string[]) => runCli(argv, { env, cwd: dir });

  before(async () => {
    c = await startCluster({
      // A short settle delay: a job that can never fit fails soon after the workers joined.
      overrides: { cluster: { operationTimeoutMs: 5000 }, scheduler: { neverFitsSettleMs: 300 } },
      workers: [
        { workerId: 'cli-a', coreIds: [0, 1] },
        { workerId: 'cli-b', coreIds: [2, 3] },
        { workerId: 'cli-spare', coreIds: [4] },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'rswarm-cli-'));
    // HOME points at the temp folder, so no real ~/.rswarm is read or written.
    env = { HOME: dir, RSWARM_URL: c.url, RSWARM_TOKEN: c.token };
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 3 ? true : undefined,
    );
  });
  after(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('job run -f FILE.yaml --watch → ls → status → watch → stop', async () => {
    writeFileSync(
      join(dir, 'hello.yaml'),
      [
        'name: hello',
        'tasks:',
        '  - name: web',
        '    image: busybox',
        '    cores: 2',
        '    memory: 32m',
        '',
      ].join('\n'),
    );
    const run = await cli('job', 'run', '-f', 'hello.yaml', '--watch', '--interval', '0.1');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^job hello accepted \(waiting\)$/m);
    assert.match(run.stdout, /^job hello is running$/m);

    const ls = await cli('job', 'ls');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+STATE\s+TASKS\s+AGE\s+REASON$/m);
    assert.match(ls.stdout, /^hello\s+running\s+1\/1\s/m);
    assert.match((await cli('job', 'ls', '--state', 'finished')).stdout, /^no finished jobs$/m);

    const status = await cli('job', 'status', 'hello');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^State:\s+running$/m);
    const api = (await c.api('GET', '/api/v1/jobs/hello')).body;
    const t = api.tasks[0];
    assert.match(
      status.stdout,
      new RegExp(`^\\s+web\\s+running\\s+${t.worker}\\s+${t.cpuset}\\s+2\\s+32Mi\\s`, 'm'),
    );

    // The events route's backlog (GET /api/v1/events?job=hello).
    assert.match(status.stdout, /^Events$/m);
    assert.match(status.stdout, /^\s+\d\d:\d\d:\d\d\s+job-running\s/m);

    // One task: no TASK needed; the simulated runtime keeps its lines for the logs route.
    const logs = await cli('job', 'logs', 'hello');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /started web \(job hello, attempt 0\)/);

    const watch = await cli('job', 'watch', 'hello');
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /job hello is running/);

    const migrate = await cli('job', 'migrate', 'hello');
    assert.equal(migrate.code, 0, migrate.stdout + migrate.stderr);
    assert.match(migrate.stdout, /^TASK\s+MODE\s+FROM\s+TO\s+CPUSET\s+ERROR$/m);
    assert.match(
      migrate.stdout,
      new RegExp(`^web\\s+(cold|live)\\s+${t.worker}\\s+cli-\\S+\\s+\\S+\\s+-$`, 'm'),
    );
    const unknownTarget = await cli('job', 'migrate', 'hello', '--to', 'nowhere', '-o', 'json');
    assert.equal(unknownTarget.code, 1, unknownTarget.stdout + unknownTarget.stderr);

    const stop = await cli('job', 'stop', 'hello');
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^job hello: cancellation accepted/m);
    const ended = await cli('job', 'watch', 'hello', '--until-done', '--interval', '0.1');
    assert.equal(ended.code, 4, ended.stdout + ended.stderr);
    assert.match(ended.stdout, /job hello is cancelled/);
  });

  test('-o json prints the API answer as it is', async () => {
    // The job comes from stdin (-f -), in the JSON the API answers with, exactly.
    const run = await runCli(['job', 'run', '-f', '-', '-o', 'json'], {
      env,
      cwd: dir,
      stdin: JSON.stringify(job('jsonjob', 1)),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      name: 'jsonjob',
      status: 'waiting',
      links: { self: '/api/v1/jobs/jsonjob' },
    });
    const status = await cli('job', 'status', 'jsonjob', '-o', 'json');
    assert.equal(status.code, 0, status.stderr);
    const fromApi = (await c.api('GET', '/api/v1/jobs/jsonjob')).body;
    assert.equal(JSON.parse(status.stdout).name, 'jsonjob');
    assert.deepEqual(Object.keys(JSON.parse(status.stdout)).sort(), Object.keys(fromApi).sort());
    const ls = await cli('job', 'ls', '-o', 'json');
    assert.ok(Array.isArray(JSON.parse(ls.stdout).items));
    const nodes = JSON.parse((await cli('node', 'ls', '-o', 'json')).stdout);
    assert.deepEqual(nodes.map((n: { id: string }) => n.id).sort(), ['cli-a', 'cli-b', 'cli-spare']);
    assert.equal(
      JSON.parse((await cli('strategy', 'get', '-o', 'json')).stdout).strategy,
      (await c.api('GET', '/api/v1/scheduler')).body.strategy,
    );
    assert.equal(
      typeof JSON.parse((await cli('cluster', 'status', '-o', 'json')).stdout).queueDepth,
      'number',
    );
  });

  test('a job that can never be placed: run --watch exits 4, status and ls say why', async () => {
    writeFileSync(join(dir, 'toobig.json'), JSON.stringify(job('toobig', 64)));
    const run = await cli('job', 'run', '-f', 'toobig.json', '--watch', '--interval', '0.1');
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^job toobig is failed: NEVER_FITS: can never be placed: task t1 needs 64 cores/m,
    );
    const status = await cli('job', 'status', 'toobig');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Unplaced:\s+task t1 needs 64 cores/m);
    assert.match(status.stdout, /^Failure:\s+NEVER_FITS: can never be placed/m);
    const ls = await cli('job', 'ls', '--state', 'failed');
    assert.match(ls.stdout, /^toobig\s+failed\s+0\/1\s+\S+\s+task t1 needs 64 cores/m);
  });

  test('node ls, status (cores by job), drain, undrain, rm', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', job('pinned', 1))).status, 202);
    const placed = await waitFor('pinned running', async () => {
      const b = (await c.api('GET', '/api/v1/jobs/pinned')).body;
      return b?.state === 'running' ? b : undefined;
    });
    const ls = await cli('node', 'ls');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^ID\s+STATE\s+RUNTIME\s+CORES FREE/m);
    assert.match(ls.stdout, /^cli-spare\s+ready\s+simulated\s+\d\/1\s/m);

    const w = placed.tasks[0].worker as string;
    const core = placed.tasks[0].cpuset as string;
    const st = await cli('node', 'status', w);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`^\\s+${core}\\s+pinned/t1$`, 'm'));

    // Drain with --migrate moves the running task to another worker, one line per task.
    const moved = await cli('node', 'drain', w, '--migrate');
    assert.equal(moved.code, 0, moved.stdout + moved.stderr);
    assert.match(moved.stdout, new RegExp(`^node ${w} draining$`, 'm'));
    assert.match(moved.stdout, /^ {2}\S+: moved to cli-\S+ \((cold|live)\)$/m);
    assert.equal((await cli('node', 'undrain', w)).code, 0);

    const drain = await cli('node', 'drain', 'cli-spare');
    assert.equal(drain.code, 0, drain.stderr);
    assert.match(drain.stdout, /^node cli-spare draining$/m);
    assert.match((await cli('node', 'ls')).stdout, /^cli-spare\s+draining\s/m);
    const undrain = await cli('node', 'undrain', 'cli-spare');
    assert.match(undrain.stdout, /^node cli-spare ready$/m);
    await cli('job', 'stop', 'pinned');

    const rm = await cli('node', 'rm', 'cli-spare', '--force');
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /^node cli-spare told to leave/m);
    const gone = await cli('node', 'status', 'nope');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^error: WORKER_NOT_FOUND \(HTTP 404\)/m);
  });

  test('strategy get and set; an unknown strategy is the API refusing (exit 1)', async () => {
    const set = await cli('strategy', 'set', 'worst-fit');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^strategy worst-fit$/m);
    assert.match((await cli('strategy', 'get')).stdout, /^Strategy:\s+worst-fit$/m);
    const bad = await cli('strategy', 'set', 'random-fit');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: [A-Z_]+ \(HTTP 400\)/m);
    await cli('strategy', 'set', 'best-fit');
  });

  test('cluster status: strategy, queue, workers, components, consistency', async () => {
    const r = await cli('cluster', 'status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Queue depth:\s+\d+$/m);
    assert.match(r.stdout, /^Workers:\s+.*ready \d/m);
    assert.match(r.stdout, /^Consistency:\s+ok$/m);
    assert.match(r.stdout, /^\s+frontend\s+running\s/m);
  });

  test('exit codes: unknown job 1 with the code, bad token 3, no server 3, bad input 2', async () => {
    const unknown = await cli('job', 'status', 'no-such-job');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: JOB_NOT_FOUND \(HTTP 404\): /m);

    const badToken = await runCli(['job', 'ls'], { env: { ...env, RSWARM_TOKEN: 'wrong' }, cwd: dir });
    assert.equal(badToken.code, 3);
    assert.match(badToken.stderr, /UNAUTHORIZED \(HTTP 401\)/);
    assert.match(badToken.stderr, /check the token/);

    const closed = await freePort();
    const noServer = await cli('job', 'ls', '--url', `http://127.0.0.1:${closed}`);
    assert.equal(noServer.code, 3);
    assert.match(noServer.stderr, new RegExp(`cannot reach http://127.0.0.1:${closed}: ECONNREFUSED`));

    writeFileSync(join(dir, 'broken.yaml'), 'name: x\ntasks: [\n');
    const broken = await cli('job', 'run', '-f', 'broken.yaml');
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /^error: broken\.yaml:\d+:\d+: invalid YAML/m);
    const missing = await cli('job', 'run', '-f', 'missing.json');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing\.json: no such file/);
    assert.equal((await cli('job', 'ls', '--state', 'sleeping')).code, 2);
    assert.equal((await cli('job', 'frobnicate')).code, 2);
    assert.equal((await cli('job', 'ls', '-o', 'xml')).code, 2);

    writeFileSync(
      join(dir, 'invalid.json'),
      JSON.stringify({ name: 'bad', tasks: [{ name: 't', image: 'busybox', cores: 0, memory: '1m' }] }),
    );
    const invalid = await cli('job', 'run', '-f', 'invalid.json');
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^error: VALIDATION_FAILED \(HTTP 400\)/m);
    assert.match(invalid.stderr, /\/tasks\/0\/cores/);
  });

  test('as a process (cli/main.ts): help lists the exit codes; exit codes reach the shell', async () => {
    const help = await rswarm(['--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes of the client commands/);
    assert.match(help.stdout, /^ {2}3 {2}cannot reach the server/m);
    const ok = await rswarm(['job', 'ls', '-o', 'json'], { RSWARM_URL: c.url, RSWARM_TOKEN: c.token });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(Array.isArray(JSON.parse(ok.stdout).items));
    const status = await rswarm(['cluster', 'status', '--url', c.url, '--token', 'wrong'], {});
    assert.equal(status.code, 3, status.stderr);
    assert.match(status.stderr, /UNAUTHORIZED/);
    const usage = await rswarm(['node', 'frob'], {});
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown command 'frob'/);
  });

  test('contexts: set-context, use-context, view (token redacted), then commands use the context', async () => {
    const bare = { HOME: dir };
    const set = await runCli(['config', 'set-context', 'local', '--url', c.url, '--token', c.token], {
      env: bare,
      cwd: dir,
    });
    assert.equal(set.code, 0, set.stderr);
    const file = join(dir, '.rswarm', 'config.yaml');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /current-context: local/);
    await runCli(['config', 'set-context', 'other', '--url', 'http://127.0.0.1:9'], { env: bare, cwd: dir });

    const ls = await runCli(['node', 'ls'], { env: bare, cwd: dir });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /cli-a/);

    const view = await runCli(['config', 'view'], { env: bare, cwd: dir });
    assert.equal(view.code, 0, view.stderr);
    assert.ok(!view.stdout.includes(c.token), 'the token is never printed');
    assert.match(view.stdout, /token: REDACTED/);
    assert.match(
      view.stdout,
      /in effect: url http:\/\/127\.0\.0\.1:\d+ \(from context\); token REDACTED \(from context\); context local/,
    );

    assert.equal((await runCli(['config', 'use-context', 'other'], { env: bare, cwd: dir })).code, 0);
    const viaOther = await runCli(['node', 'ls'], { env: bare, cwd: dir });
    assert.equal(viaOther.code, 3, 'the other context points nowhere');
    const flagWins = await runCli(['node', 'ls', '--context', 'local'], { env: bare, cwd: dir });
    assert.equal(flagWins.code, 0, flagWins.stderr);
    assert.equal((await runCli(['config', 'use-context', 'ghost'], { env: bare, cwd: dir })).code, 2);
  });
});

function job(name: string, cores: number) {
  return { name, tasks: [{ name: 't1', image: 'busybox', cores, memory: '16m' }] };
}

/** Runs `rswarm` as a process from this checkout, with only `env` and PATH set (HOME a folder that does not exist). */
function rswarm(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '', HOME: join(tmpdir(), 'rswarm-cli-no-home'), ...env },
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

/**
 * @module The operator CLI's streaming commands against a scripted HTTP server that speaks the
 * contracts of `GET /api/v1/events` (Server-Sent Events) and `GET /api/v1/tasks/{task}/logs`
 * (chunked text): `job watch` follows events and ends when the job runs (exit 0) or fails
 * (exit 4), falls back to polling when the events route answers 404, `job status` shows the
 * route's backlog, and `job logs` prints one task, or every task prefixed, following with -f.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runCli } from '../support/operator-cli.js';

const TOKEN = 'stream-token';

interface Script {
  /** The job's state as GET /jobs/{name} answers now. */
  state: string;
  failureReason: string | null;
  events: 'sse' | 'absent';
  /** After the events stream opened and the job was read: [delay ms, state to set, event kind]. */
  later: [number, string, string][];
  jobGets: number;
  /** Starts `later`'s timers (set once the stream is open; run at the next read of the job). */
  startLater?: () => void;
  /** The job runs from this GET on (polling without timers). */
  runningFromGet?: number;
  eventRequests: { url: string; auth: string | undefined; lastEventId: string | undefined }[];
  /** The first events stream ends after its backlog (a server's stream limit). */
  endFirstStream?: boolean;
  logRequests: string[];
}

let script: Script;
const sockets = new Set<ServerResponse>();

const jobBody = (name: string) => ({
  name,
  state: script.state,
  priority: 0,
  submittedAt: new Date().toISOString(),
  unplacedReason: null,
  failureReason: script.failureReason,
  tasks:
    name === 'pair' || name === 'mixed' || name === 'ended'
      ? [
          { name: 'web', state: 'running', cores: 1, memoryBytes: 1, worker: 'w1', cpuset: '0' },
          {
            name: name === 'pair' ? 'db' : name === 'ended' ? 'gone' : 'idle',
            state: 'running',
            cores: 1,
            memoryBytes: 1,
            worker: 'w1',
            cpuset: '1',
          },
        ]
      : [
          {
            name: 't1',
            state: script.state === 'running' ? 'running' : 'pending',
            cores: 1,
            memoryBytes: 1,
            worker: null,
            cpuset: null,
          },
        ],
});

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, status, message } }));
}

function sse(res: ServerResponse, id: number, e: Record<string, unknown>): void {
  res.write(`id: ${id}\nevent: ${String(e['kind'])}\ndata: ${JSON.stringify(e)}\n\n`);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(res, 401, 'UNAUTHORIZED', 'bad token');
  const job = /^\/api\/v1\/jobs\/([^/]+)$/.exec(url.pathname);
  if (job) {
    script.jobGets++;
    if (script.runningFromGet !== undefined && script.jobGets >= script.runningFromGet)
      script.state = 'running';
    const start = script.startLater;
    script.startLater = undefined;
    start?.();
    if (job[1] === 'nope') return error(res, 404, 'JOB_NOT_FOUND', 'no job named nope');
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(jobBody(job[1] as string)));
  }
  if (url.pathname === '/api/v1/events') {
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    script.eventRequests.push({ url: req.url ?? '', auth: req.headers.authorization, lastEventId });
    if (script.events === 'absent') return error(res, 404, 'NOT_FOUND', 'no route GET /api/v1/events');
    const name = url.searchParams.get('job');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    sockets.add(res);
    res.on('close', () => sockets.delete(res));
    const backlog = Number(url.searchParams.get('backlog') ?? 50);
    const old = [
      { at: Date.parse('2026-01-01T10:00:00Z'), kind: 'job-submitted', job: name },
      {
        at: Date.parse('2026-01-01T10:00:01Z'),
        kind: 'job-unplaced',
        job: name,
        detail: 'no worker with 1 free core',
      },
    ].slice(-backlog);
    let id = Number(lastEventId ?? 0);
    if (lastEventId === undefined) for (const e of old) sse(res, ++id, e);
    res.write(': keepalive\n\n');
    if (script.endFirstStream && script.eventRequests.length === 1) return void res.end();
    // Timers write into this test's script only (a later test has its own).
    const mine = script;
    const startLater = (): void => {
      for (const [delay, state, kind] of mine.later)
        setTimeout(() => {
          mine.state = state;
          sse(res, ++id, {
            at: Date.now(),
            kind,
            job: name,
            task: 't1',
            worker: 'w1',
            detail: `now ${state}`,
          });
        }, delay);
    };
    // A resumed stream goes on at once (the client has read the job already); a new one once the
    // client reads the job.
    if (lastEventId !== undefined) startLater();
    else script.startLater = startLater;
    return;
  }
  const logs = /^\/api\/v1\/tasks\/([^/]+)\/logs$/.exec(url.pathname);
  if (logs) {
    script.logRequests.push(req.url ?? '');
    const task = logs[1] as string;
    if (task === 'idle_t1' || task === 'mixed_idle')
      return error(res, 409, 'TASK_NOT_RUNNING', 'task t1 has no container');
    if (task === 'ended_gone')
      return error(
        res,
        410,
        'TASK_LOGS_GONE',
        'the logs of task gone of job ended are no longer kept: worker w1 has left',
      );
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.write(`${task} line 1\n${task} line 2\n`);
    if (url.searchParams.get('follow') !== 'true') return void res.end();
    // Followed: one more line later, written in two pieces, then the task ends.
    setTimeout(() => res.write(`${task} li`), 50);
    setTimeout(() => res.end(`ne 3\n`), 100);
    return;
  }
  error(res, 404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`);
}

describe('operator CLI streams (scripted server)', () => {
  let server: Server;
  let env: Record<string, string>;
  const cli = (...argv: string[]) => runCli(argv, { env });

  before(async () => {
    server = createServer(handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    env = {
      HOME: '/nonexistent',
      RSWARM_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      RSWARM_TOKEN: TOKEN,
    };
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    script = {
      state: 'waiting',
      failureReason: null,
      events: 'sse',
      later: [],
      jobGets: 0,
      eventRequests: [],
      logRequests: [],
    };
  });

  test('job watch follows the events route until the job runs', async () => {
    script.later = [
      [50, 'scheduled', 'job-scheduled'],
      [100, 'running', 'job-running'],
    ];
    const started = Date.now();
    const r = await cli('job', 'watch', 'streamy', '--interval', '5');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    // The backlog tells the story so far: no state line besides it, so no change is said twice.
    assert.match(lines[0] as string, /^10:00:00\s+job-submitted/);
    assert.ok(!lines.some((l) => /job streamy waiting$/.test(l)), r.stdout);
    assert.ok(
      lines.some((l) => /^10:00:01\s+job-unplaced\s+no worker with 1 free core$/.test(l)),
      r.stdout,
    );
    assert.ok(
      lines.some((l) => /job-scheduled\s+task=t1\s+worker=w1\s+now scheduled$/.test(l)),
      r.stdout,
    );
    assert.ok(
      lines.some((l) => /job-running\s+task=t1\s+worker=w1\s+now running$/.test(l)),
      r.stdout,
    );
    assert.equal(lines.at(-1), 'job streamy is running');
    // Events, not polling: done well before the first poll (every 5 s) would have been made.
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    const ev = script.eventRequests[0];
    assert.equal(ev?.auth, `Bearer ${TOKEN}`);
    assert.match(ev?.url ?? '', /job=streamy/);
    assert.ok(!(ev?.url ?? '').includes(TOKEN), 'no token in the URL');
  });

  test('a stream that ends early is opened again after its last event (Last-Event-ID)', async () => {
    script.endFirstStream = true;
    script.later = [[30, 'running', 'job-running']];
    const r = await cli('job', 'watch', 'streamy', '--interval', '0.05');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      script.eventRequests.map((e) => e.lastEventId),
      [undefined, '2'],
    );
    assert.match(r.stdout, /job-running\s+task=t1\s+worker=w1\s+now running$/m);
    assert.equal((r.stdout.match(/job-unplaced/g) ?? []).length, 1, 'the backlog is not repeated');
  });

  test('job watch exits 4 when the job fails, with its reason', async () => {
    script.later = [[50, 'failed', 'job-failed']];
    script.failureReason = 'exit code 1 after 3 attempts';
    const r = await cli('job', 'watch', 'streamy', '--interval', '5');
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /^job streamy is failed: exit code 1 after 3 attempts$/m);
  });

  test('without the events route (404), job watch polls and prints what changed', async () => {
    script.events = 'absent';
    script.runningFromGet = 3;
    const r = await cli('job', 'watch', 'streamy', '--interval', '0.05');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job streamy waiting/);
    assert.match(r.stdout, /job streamy running/);
    assert.match(r.stdout, /task t1 running/);
    assert.equal(script.jobGets, 3);
  });

  test('job watch of an unknown job: exit 1 with JOB_NOT_FOUND', async () => {
    const r = await cli('job', 'watch', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: JOB_NOT_FOUND \(HTTP 404\)/m);
  });

  test("job status shows the events route's recent events, or says the route is missing", async () => {
    const r = await cli('job', 'status', 'streamy', '--events', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Events$/m);
    assert.match(r.stdout, /^\s+10:00:01\s+job-unplaced\s+-\s+-\s+no worker with 1 free core$/m);
    assert.match(script.eventRequests[0]?.url ?? '', /backlog=5/);
    script.events = 'absent';
    assert.match((await cli('job', 'status', 'streamy')).stdout, /events route is not available/);
  });

  test('job logs: one task plain; several tasks prefixed; TASK picks one; -f follows to the end', async () => {
    script.state = 'running';
    const one = await cli('job', 'logs', 'streamy');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, 'streamy_t1 line 1\nstreamy_t1 line 2\n');
    assert.match(script.logRequests[0] ?? '', /tail=100/);

    const all = await cli('job', 'logs', 'pair');
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.stdout.trim().split('\n').sort(), [
      'db  | pair_db line 1',
      'db  | pair_db line 2',
      'web | pair_web line 1',
      'web | pair_web line 2',
    ]);

    const picked = await cli('job', 'logs', 'pair', 'web', '-f', '--tail', 'all');
    assert.equal(picked.code, 0, picked.stderr);
    assert.equal(picked.stdout, 'pair_web line 1\npair_web line 2\npair_web line 3\n');
    assert.match(script.logRequests.at(-1) ?? '', /follow=true/);
    assert.match(script.logRequests.at(-1) ?? '', /tail=all/);

    const followedPair = await cli('job', 'logs', 'pair', '-f');
    assert.ok(followedPair.stdout.includes('web | pair_web line 3\n'), followedPair.stdout);
    assert.ok(followedPair.stdout.includes('db  | pair_db line 3\n'), followedPair.stdout);

    const wrongTask = await cli('job', 'logs', 'pair', 'cache');
    assert.equal(wrongTask.code, 2);
    assert.match(wrongTask.stderr, /job pair has no task "cache" \(tasks: web, db\)/);
    assert.equal((await cli('job', 'logs', 'pair', '--tail', 'lots')).code, 2);
  });

  test('job logs of a task without a container: exit 1 with TASK_NOT_RUNNING', async () => {
    const r = await cli('job', 'logs', 'idle');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: TASK_NOT_RUNNING \(HTTP 409\)/m);
    // Among several tasks, one without a container is a note; the others still print.
    const mixed = await cli('job', 'logs', 'mixed');
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.match(mixed.stdout, /^web {2}\| mixed_web line 1$/m);
    assert.match(mixed.stderr, /^idle: TASK_NOT_RUNNING \(HTTP 409\): task t1 has no container$/m);
    // An ended task whose logs are no longer kept (410) is a note too.
    const ended = await cli('job', 'logs', 'ended');
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /^web {2}\| ended_web line 1$/m);
    assert.match(ended.stderr, /^gone: TASK_LOGS_GONE \(HTTP 410\): the logs of task gone of job ended/m);
  });
});

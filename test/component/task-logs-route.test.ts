/**
 * @module `GET /api/v1/tasks/{task}/logs` in process, with a fake worker link answering `logs`
 * from a simulated runtime on a fake clock: the tail, `timestamps`, errors before the first byte
 * (404, 409), a follow that writes a line written later and ends when the task ends, and a client
 * that disconnects stops the follow loop (no more commands reach the worker). Tasks of ended jobs,
 * by container name: the lines their worker kept (a follow sends them and ends), 410
 * TASK_LOGS_GONE when the worker evicted them or has left, 502 when it is only unreachable.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { silentLogger } from '../../core/log/logger.js';
import type { JobRecord } from '../../core/model/records.js';
import { chunkOf, type LogLine, type TaskAssignment, type WorkerCommand } from '../../core/protocol/index.js';
import type { Stores } from '../../core/store/store-ports.js';
import type { WorkerCommandAnswer, WorkerCommandLink } from '../../core/transport/index.js';
import { createApp } from '../../frontend/create-app.js';
import type { OperationHandler } from '../../frontend/operation-handler.js';
import { operationsHandlers } from '../../frontend/operations-handlers.js';
import { SimulatedRuntime } from '../../worker/simulated-runtime.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'logs-token';
const REF = { job: 'web', task: 'web-a', attempt: 0 };
const POLL_MS = 300;

function assignment(): TaskAssignment {
  return {
    ...REF,
    containerName: 'web_web-a',
    image: 'simulated',
    command: null,
    coreIds: [0],
    memoryBytes: 64 * 1024 ** 2,
    env: {},
    ports: [],
    volumes: [],
    network: null,
    runSeconds: null,
  };
}

/** The job as the leader would show it: one running task on `w1`, one waiting task. */
function job(state: 'running' | 'finished' = 'running'): JobRecord {
  return {
    name: 'web',
    attempt: 0,
    state,
    cancelRequested: false,
    spec: { name: 'web', tasks: [] },
    tasks: [
      { name: 'web-a', state, workerId: 'w1' },
      { name: 'web-b', state: 'waiting', workerId: null },
    ],
  } as unknown as JobRecord;
}

/** The worker side of the link: a simulated runtime, counting the `logs` commands it answers. */
class FakeWorkerLink implements WorkerCommandLink {
  asked = 0;
  constructor(readonly runtime: SimulatedRuntime) {}
  async request(_workerId: string, command: WorkerCommand): Promise<WorkerCommandAnswer> {
    if (command.kind !== 'logs') return { outcome: 'failed', reason: 'not a logs command' };
    this.asked++;
    const r = await this.runtime.logs(command.task, command);
    return { outcome: r.outcome, reason: r.reason, ...(r.logs ? { logs: r.logs } : {}) };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function setup(runSeconds: number | null = null): Promise<{
  h: HttpHarness;
  clock: FakeClock;
  sim: SimulatedRuntime;
  link: FakeWorkerLink;
  setJob: (j: JobRecord) => void;
}> {
  const clock = new FakeClock(Date.parse('2026-12-02T10:00:00Z'));
  const sim = new SimulatedRuntime(clock);
  await sim.start({ ...assignment(), runSeconds });
  const link = new FakeWorkerLink(sim);
  let current = job();
  const stores = {
    jobs: {
      listByStates: () => Promise.resolve([current]),
      get: (name: string) => Promise.resolve(name === current.name ? current : undefined),
    },
  } as unknown as Stores;
  const unused: OperationHandler = () => Promise.reject(new Error('unused'));
  const handlers = operationsHandlers({
    stores,
    control: {} as never,
    commands: link,
    clock,
    logger: silentLogger(),
    defaultStrategy: 'best-fit',
    operationTimeoutMs: 1000,
    drain: unused,
    followPollMs: POLL_MS,
  });
  const h = await listen(
    createApp({ token: TOKEN, jobRules: TEST_RULES, logger: silentLogger(), clock, handlers }),
  );
  return { h, clock, sim, link, setJob: (j) => (current = j) };
}

/** Lets the server's pending reads and writes run (real I/O under a fake clock). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

/** Reads a streamed answer chunk by chunk, exposing what arrived so far. */
async function open(h: HttpHarness, path: string, signal: AbortSignal) {
  const res = await fetch(h.url + path, { headers: { authorization: `Bearer ${TOKEN}` }, signal });
  const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        text += r.value;
      }
    } catch {
      // aborted by the test
    }
    done = true;
  })();
  return { res, text: () => text, done: () => done, ended: pump };
}

describe('GET /api/v1/tasks/{task}/logs', { timeout: 30_000 }, () => {
  test('the tail as plain text, with timestamps when asked; errors come as JSON before any line', async (t) => {
    const { h, sim, clock } = await setup();
    const streams = new AbortController();
    t.after(async () => {
      streams.abort();
      await h.close();
    });
    clock.advance(1000);
    sim.write(REF, 'one');
    clock.advance(1000);
    sim.write(REF, 'two', 'stderr');
    const all = await h.request('GET', '/api/v1/tasks/web-a/logs', { token: TOKEN });
    assert.equal(all.status, 200);
    assert.match(all.type, /^text\/plain/);
    assert.equal(all.text, 'started web-a (job web, attempt 0) on cores 0\none\ntwo\n');
    const last = await h.request('GET', '/api/v1/tasks/web-a/logs?tail=1&timestamps=true', { token: TOKEN });
    assert.equal(last.text, '2026-12-02T10:00:02.000000000Z two\n');
    const since = await h.request(
      'GET',
      `/api/v1/tasks/web-a/logs?tail=all&since=${Date.parse('2026-12-02T10:00:01Z') / 1000}`,
      { token: TOKEN },
    );
    assert.equal(since.text, 'one\ntwo\n');
    const none = await h.request('GET', '/api/v1/tasks/nope/logs', { token: TOKEN });
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'TASK_NOT_FOUND');
    const waiting = await h.request('GET', '/api/v1/tasks/web-b/logs', { token: TOKEN });
    assert.equal(waiting.status, 409);
    assert.equal(waiting.body.error.code, 'TASK_NOT_RUNNING');
    const badSince = await h.request('GET', '/api/v1/tasks/web-a/logs?since=yesterday', { token: TOKEN });
    assert.equal(badSince.status, 400);
    const anonymous = await h.request('GET', '/api/v1/tasks/web-a/logs');
    assert.equal(anonymous.status, 401);
  });

  test('follow writes lines written later and ends when the task ends', async (t) => {
    const { h, sim, clock } = await setup(2);
    const streams = new AbortController();
    t.after(async () => {
      streams.abort();
      await h.close();
    });
    clock.advance(1000); // the task started a while ago
    const s = await open(h, '/api/v1/tasks/web-a/logs?follow=true&tail=0', streams.signal);
    assert.equal(s.res.status, 200);
    await settle();
    assert.equal(s.text(), '');
    clock.advance(POLL_MS);
    sim.write(REF, 'later');
    await settle();
    clock.advance(POLL_MS);
    await settle();
    assert.equal(s.text(), 'later\n');
    assert.equal(s.done(), false);
    // The task exits after its second: its last line arrives, then the answer ends.
    clock.advance(1000);
    await settle();
    clock.advance(POLL_MS);
    await s.ended;
    assert.equal(s.text(), 'later\nexited with code 0\n');
  });

  test('a client that disconnects stops the follow loop', async (t) => {
    const { h, clock, link } = await setup();
    const streams = new AbortController();
    t.after(async () => {
      streams.abort();
      await h.close();
    });
    const s = await open(h, '/api/v1/tasks/web-a/logs?follow=true', streams.signal);
    await settle();
    clock.advance(POLL_MS);
    await settle();
    const before = link.asked;
    assert.ok(before >= 2, `asked ${before} times while following`);
    streams.abort();
    await s.ended;
    await settle();
    for (let i = 0; i < 5; i++) {
      clock.advance(POLL_MS);
      await settle();
    }
    assert.equal(link.asked, before, 'no read after the client left');
  });
});

/** An ended job as the history keeps it: its tasks keep the worker they last ran on. */
function endedJob(
  name: string,
  state: 'finished' | 'failed' | 'cancelled',
  tasks: [string, string][],
): JobRecord {
  return {
    name,
    attempt: 0,
    state,
    cancelRequested: state === 'cancelled',
    spec: { name, tasks: [] },
    tasks: tasks.map(([task, workerId]) => ({ name: task, state, workerId })),
  } as unknown as JobRecord;
}

describe('GET /api/v1/tasks/{task}/logs of ended jobs', { timeout: 30_000 }, () => {
  const KEPT: LogLine[] = [
    { at: '2026-12-02T10:00:01.000000000Z', stream: 'stdout', text: 'hello' },
    { at: '2026-12-02T10:00:02.000000000Z', stream: 'stderr', text: 'bye' },
  ];
  const jobs = [
    endedJob('nightly', 'finished', [
      ['t1', 'w1'],
      ['t2', 'w1'],
    ]),
    endedJob('old', 'failed', [['t1', 'w3']]),
    endedJob('gone_job', 'cancelled', [['t1', 'w4']]),
  ];
  /** w1 keeps nightly/t1 and evicted nightly/t2; w3 has left; w4 is lost (not connected). */
  const link: WorkerCommandLink = {
    request: (workerId, command) => {
      if (command.kind !== 'logs') return Promise.resolve({ outcome: 'failed', reason: 'not logs' });
      if (workerId !== 'w1')
        return Promise.resolve({ outcome: 'unreachable', reason: `worker ${workerId} is not connected` });
      if (command.task.task === 't1')
        return Promise.resolve({ outcome: 'done', reason: null, logs: chunkOf(KEPT, command, true) });
      return Promise.resolve({
        outcome: 'unknown-task',
        reason: "evicted: worker w1 keeps the last 200 tasks' logs (worker.keptLogTasks)",
      });
    },
    close: () => Promise.resolve(),
  };
  const workers: Record<string, { state: string }> = {
    w1: { state: 'ready' },
    w3: { state: 'left' },
    w4: { state: 'lost' },
  };

  async function setupEnded(): Promise<HttpHarness> {
    const clock = new FakeClock(Date.parse('2026-12-02T11:00:00Z'));
    const stores = {
      jobs: {
        listByStates: () => Promise.resolve([]),
        get: (name: string) => Promise.resolve(jobs.find((j) => j.name === name)),
        getMany: (names: readonly string[]) => Promise.resolve(jobs.filter((j) => names.includes(j.name))),
      },
      workers: { get: (id: string) => Promise.resolve(workers[id]) },
    } as unknown as Stores;
    const unused: OperationHandler = () => Promise.reject(new Error('unused'));
    const handlers = operationsHandlers({
      stores,
      control: {} as never,
      commands: link,
      clock,
      logger: silentLogger(),
      defaultStrategy: 'best-fit',
      operationTimeoutMs: 1000,
      drain: unused,
      followPollMs: POLL_MS,
    });
    return listen(createApp({ token: TOKEN, jobRules: TEST_RULES, logger: silentLogger(), clock, handlers }));
  }

  test('kept lines by container name; follow sends them and ends; why they are gone', async (t) => {
    const h = await setupEnded();
    t.after(() => h.close());
    const all = await h.request('GET', '/api/v1/tasks/nightly_t1/logs?tail=all', { token: TOKEN });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.text, 'hello\nbye\n');
    const followed = await h.request(
      'GET',
      '/api/v1/tasks/nightly_t1/logs?follow=true&tail=1&timestamps=true',
      {
        token: TOKEN,
      },
    );
    assert.equal(followed.text, '2026-12-02T10:00:02.000000000Z bye\n');

    const evicted = await h.request('GET', '/api/v1/tasks/nightly_t2/logs', { token: TOKEN });
    assert.equal(evicted.status, 410);
    assert.equal(evicted.body.error.code, 'TASK_LOGS_GONE');
    assert.equal(
      evicted.body.error.message,
      "the logs of task t2 of job nightly are no longer kept: evicted: worker w1 keeps the last 200 tasks' logs (worker.keptLogTasks)",
    );
    const left = await h.request('GET', '/api/v1/tasks/old_t1/logs', { token: TOKEN });
    assert.equal(left.status, 410);
    assert.equal(
      left.body.error.message,
      'the logs of task t1 of job old are no longer kept: worker w3 has left',
    );
    // A job name with "_" is found too; its worker is only unreachable: 502, saying so.
    const lost = await h.request('GET', '/api/v1/tasks/gone_job_t1/logs', { token: TOKEN });
    assert.equal(lost.status, 502);
    assert.match(lost.body.error.message, /kept by worker w4, which is not connected \(lost\)/);
    // A bare task name does not reach the history (many ended jobs share it).
    const bare = await h.request('GET', '/api/v1/tasks/t1/logs', { token: TOKEN });
    assert.equal(bare.status, 404);
    assert.match(bare.body.error.message, /an ended job's task by its container name/);
  });
});

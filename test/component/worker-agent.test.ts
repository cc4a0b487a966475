/**
 * @module The worker agent against a fake GlobalManager and Discovery over real ZeroMQ, with the
 * simulated runtime and a fake clock: join, heartbeats, reconcile, idempotent commands, report
 * retries, forward-only states, re-join, leave, restart adoption and a clean close.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { taskRefKey, type LogQuery, type TaskAssignment, type TaskRef } from '../../core/protocol/index.js';
import type {
  ContainerRuntime,
  RuntimeCommandOutcome,
  RuntimeEventListener,
  RuntimeTask,
  TaskLimits,
} from '../../worker/container-runtime.js';
import { SimulatedRuntime, SIM_EXIT_CODE_ENV } from '../../worker/simulated-runtime.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import type { WorkerOptionsInput } from '../../worker/worker-options.js';
import { FakeManager } from '../support/fake-manager.js';

const WORKER = 'worker-a';
const HEARTBEAT_MS = 1000;

function assignment(task: string, extra: Partial<TaskAssignment> = {}): TaskAssignment {
  return {
    job: 'job1',
    task,
    attempt: 0,
    containerName: `job1_${task}`,
    image: 'simulated',
    command: null,
    coreIds: [0],
    memoryBytes: 64 * 1024 * 1024,
    env: {},
    ports: [],
    volumes: [],
    network: null,
    runSeconds: null,
    ...extra,
  };
}

function refOf(a: TaskAssignment): TaskRef {
  return { job: a.job, task: a.task, attempt: a.attempt };
}

/** The simulated runtime, counting starts; `close` can be made a no-op to outlive one agent. */
class CountingRuntime implements ContainerRuntime {
  readonly kind = 'simulated' as const;
  readonly starts = new Map<string, number>();
  keepOpen = false;
  constructor(readonly sim: SimulatedRuntime) {}
  start(a: TaskAssignment): Promise<void> {
    const key = taskRefKey(a);
    this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
    return this.sim.start(a);
  }
  stop(ref: TaskRef): Promise<void> {
    return this.sim.stop(ref);
  }
  remove(ref: TaskRef): Promise<void> {
    return this.sim.remove(ref);
  }
  list(): Promise<RuntimeTask[]> {
    return this.sim.list();
  }
  update(ref: TaskRef, limits: TaskLimits): Promise<RuntimeCommandOutcome> {
    return this.sim.update(ref, limits);
  }
  endpoints(ref: TaskRef): Promise<RuntimeCommandOutcome> {
    return this.sim.endpoints(ref);
  }
  logs(ref: TaskRef, query: LogQuery): Promise<RuntimeCommandOutcome> {
    return this.sim.logs(ref, query);
  }
  checkpoint(ref: TaskRef, name: string): Promise<RuntimeCommandOutcome> {
    return this.sim.checkpoint(ref, name);
  }
  onEvent(listener: RuntimeEventListener): void {
    this.sim.onEvent(listener);
  }
  close(): Promise<void> {
    return this.keepOpen ? Promise.resolve() : this.sim.close();
  }
  async has(ref: TaskRef): Promise<boolean> {
    return (await this.sim.list()).some((t) => taskRefKey(t.ref) === taskRefKey(ref));
  }
}

interface Harness {
  readonly fake: FakeManager;
  readonly clock: FakeClock;
  readonly runtime: CountingRuntime;
  readonly agent: WorkerAgent;
}

async function startAgent(
  fake: FakeManager,
  clock: FakeClock,
  runtime: CountingRuntime,
  options: Partial<WorkerOptionsInput> = {},
): Promise<WorkerAgent> {
  const agent = WorkerAgent.create(
    {
      workerId: WORKER,
      joinToken: 'secret',
      managerEndpoint: fake.managerEndpoint,
      discoveryEndpoint: fake.discoveryEndpoint,
      heartbeatIntervalMs: HEARTBEAT_MS,
      coreIds: [0, 1, 2, 3],
      memoryBytes: 8 * 1024 ** 3,
      runtime: 'simulated',
      ...options,
    },
    { runtime, clock, logger: silentLogger() },
  );
  await agent.run();
  return agent;
}

/** A joined, active agent: run, join received, empty sync answered. */
async function harness(t: { after: (fn: () => Promise<void>) => void }): Promise<Harness> {
  const fake = await FakeManager.start();
  const clock = new FakeClock(1_000_000);
  const runtime = new CountingRuntime(new SimulatedRuntime(clock));
  const agent = await startAgent(fake, clock, runtime);
  t.after(async () => {
    await agent.close();
    await fake.close();
  });
  await fake.waitFor('join', () => fake.joins(WORKER)[0]);
  await fake.sync(WORKER, []);
  await fake.waitFor('active', () => agent.getState() === 'active');
  return { fake, clock, runtime, agent };
}

/** Lets in-flight socket traffic land, for assertions that something did NOT happen. */
const settle = (): Promise<void> => delay(100);

describe('worker agent (simulated runtime, fake GlobalManager and Discovery)', { timeout: 30_000 }, () => {
  test('joins with its id, token, runtime, capacity and nothing running; a sync makes it active', async (t) => {
    const fake = await FakeManager.start();
    const clock = new FakeClock();
    const agent = await startAgent(fake, clock, new CountingRuntime(new SimulatedRuntime(clock)));
    t.after(async () => {
      await agent.close();
      await fake.close();
    });
    assert.equal(agent.getState(), 'joining');
    const join = await fake.waitFor('join', () => fake.fromWorkers.find((m) => m.message.type === 'join'));
    assert.equal(join.workerId, WORKER, 'the DEALER routing id is the worker id');
    assert.deepEqual(join.message, {
      type: 'join',
      v: 1,
      workerId: WORKER,
      joinToken: 'secret',
      runtime: 'simulated',
      coreIds: [0, 1, 2, 3],
      memoryBytes: 8 * 1024 ** 3,
      running: [],
      features: ['ping'],
    });
    await fake.sync(WORKER, []);
    await fake.waitFor('active', () => agent.getState() === 'active');
  });

  test('heartbeats every interval on the clock, stamped with its time', async (t) => {
    const { fake, clock } = await harness(t);
    assert.equal(fake.heartbeats(WORKER).length, 0);
    clock.advance(HEARTBEAT_MS);
    await fake.waitFor('first heartbeat', () => fake.heartbeats(WORKER).length === 1);
    clock.advance(HEARTBEAT_MS);
    await fake.waitFor('second heartbeat', () => fake.heartbeats(WORKER).length === 2);
    assert.deepEqual(
      fake.heartbeats(WORKER).map((h) => h.at),
      [1_000_000 + HEARTBEAT_MS, 1_000_000 + 2 * HEARTBEAT_MS],
    );
  });

  test('sync starts the missing tasks and stops (cancelled) the ones not desired', async (t) => {
    const { fake, runtime } = await harness(t);
    const a = assignment('a');
    const b = assignment('b');
    await fake.assign(WORKER, [a]);
    await fake.waitFor('a running', () => fake.statesFor(refOf(a)).includes('running'));
    await fake.sync(WORKER, [b]);
    await fake.waitFor('b running', () => fake.statesFor(refOf(b)).includes('running'));
    await fake.waitFor('a cancelled', () => fake.statesFor(refOf(a)).includes('cancelled'));
    assert.deepEqual(fake.statesFor(refOf(a)), ['starting', 'running', 'cancelled']);
    assert.deepEqual(fake.statesFor(refOf(b)), ['starting', 'running']);
    await fake.waitFor('a removed from the runtime', async () => !(await runtime.has(refOf(a))));
    assert.equal(await runtime.has(refOf(b)), true);
    const cancelled = fake.reportsFor(refOf(a)).find((r) => r.state === 'cancelled');
    assert.match(cancelled?.reason ?? '', /desired/);
  });

  test('assign is idempotent by task ref: the same ref twice starts once and reports once', async (t) => {
    const { fake, runtime } = await harness(t);
    const a = assignment('a');
    await fake.assign(WORKER, [a, a]);
    await fake.assign(WORKER, [a]);
    await fake.sync(WORKER, [a]);
    await fake.waitFor('a running', () => fake.statesFor(refOf(a)).includes('running'));
    await settle();
    assert.equal(runtime.starts.get(taskRefKey(a)), 1);
    assert.equal(fake.reportsFor(refOf(a)).filter((r) => r.state === 'starting').length, 1);
    assert.equal(fake.reportsFor(refOf(a)).filter((r) => r.state === 'running').length, 1);
  });

  test('stop removes the task and reports it cancelled; stopping again changes nothing', async (t) => {
    const { fake, runtime } = await harness(t);
    const a = assignment('a');
    await fake.assign(WORKER, [a]);
    await fake.waitFor('a running', () => fake.statesFor(refOf(a)).includes('running'));
    await fake.stop(WORKER, [refOf(a)]);
    const cancelled = await fake.waitFor('cancelled', () =>
      fake.reportsFor(refOf(a)).find((r) => r.state === 'cancelled'),
    );
    assert.equal(cancelled.workerId, WORKER);
    assert.equal(cancelled.exitCode, null);
    await fake.waitFor('removed', async () => !(await runtime.has(refOf(a))));
    await fake.stop(WORKER, [refOf(a)]);
    await fake.assign(WORKER, [a]); // a late assign of an attempt that ended here is ignored
    await settle();
    assert.equal(fake.reportsFor(refOf(a)).filter((r) => r.state === 'cancelled').length, 1);
    assert.equal(runtime.starts.get(taskRefKey(a)), 1);
  });

  test('an unacknowledged report is resent with backoff until acked; a replaced one is not', async (t) => {
    const { fake, clock } = await harness(t);
    fake.autoAck = false;
    const a = assignment('a');
    await fake.assign(WORKER, [a]);
    const running = await fake.waitFor('running', () =>
      fake.reportsFor(refOf(a)).find((r) => r.state === 'running'),
    );
    const copies = (state: string): number =>
      fake.reportsFor(refOf(a)).filter((r) => r.state === state).length;
    assert.equal(copies('running'), 1);
    clock.advance(200);
    await fake.waitFor('first resend after 200 ms', () => copies('running') === 2);
    clock.advance(399);
    await settle();
    assert.equal(copies('running'), 2, 'the second resend waits 400 ms');
    clock.advance(1);
    await fake.waitFor('second resend after 400 ms more', () => copies('running') === 3);
    assert.equal(copies('starting'), 1, '"starting" was replaced by "running": never resent');
    assert.ok(fake.reportsFor(refOf(a)).every((r) => r.id === running.id || r.state === 'starting'));

    await fake.ack([running.id]);
    await settle();
    for (let i = 0; i < 5; i++) clock.advance(2000);
    await settle();
    assert.equal(copies('running'), 3, 'no resend after the ack');
  });

  test('states only move forward: a late "running" after "finished" is not reported', async (t) => {
    const { fake, clock, runtime, agent } = await harness(t);
    const a = assignment('a', { runSeconds: 1 });
    await fake.assign(WORKER, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'));
    clock.advance(1000);
    const finished = await fake.waitFor('finished', () =>
      fake.reportsFor(refOf(a)).find((r) => r.state === 'finished'),
    );
    assert.equal(finished.exitCode, 0);
    assert.equal(finished.reason, null);
    // Acknowledged → pruned: the runtime no longer has it.
    await fake.waitFor('pruned after the ack', async () => !(await runtime.has(refOf(a))));
    // The runtime runs the same attempt again (as a confused engine might) and says "running".
    await runtime.sim.start(a);
    await fake.sync(WORKER, [a]);
    await settle();
    assert.deepEqual(
      fake.reportsFor(refOf(a)).map((r) => r.state),
      ['starting', 'running', 'finished'],
      'nothing is reported after the end',
    );
    assert.equal(agent.getTasks().find((e) => e.ref.task === 'a')?.state, 'finished');
    assert.equal(runtime.starts.get(taskRefKey(a)), 1, 'an attempt that ended here is not restarted');
  });

  test('a non-zero exit is reported failed with its code; the container stays until the ack', async (t) => {
    const { fake, clock, runtime } = await harness(t);
    fake.autoAck = false;
    const a = assignment('a', { runSeconds: 2, env: { [SIM_EXIT_CODE_ENV]: '3' } });
    await fake.assign(WORKER, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'));
    clock.advance(2000);
    const failed = await fake.waitFor('failed', () =>
      fake.reportsFor(refOf(a)).find((r) => r.state === 'failed'),
    );
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.reason, 'exited with code 3');
    await settle();
    assert.equal(await runtime.has(refOf(a)), true, 'kept as evidence until Discovery acknowledges');
    await fake.ack([failed.id]);
    await fake.waitFor('pruned', async () => !(await runtime.has(refOf(a))));
  });

  test('reject with rejoin sends a fresh join listing what runs; without rejoin the agent closes', async (t) => {
    const { fake, agent } = await harness(t);
    const a = assignment('a');
    await fake.assign(WORKER, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'));
    await fake.reject(WORKER, 'unknown session', true);
    const rejoin = await fake.waitFor('second join', () => fake.joins(WORKER)[1]);
    assert.deepEqual(rejoin.running, [refOf(a)]);
    assert.equal(agent.getState(), 'joining');
    await fake.sync(WORKER, [a]);
    await fake.waitFor('active again', () => agent.getState() === 'active');

    await fake.reject(WORKER, 'bad token', false);
    await agent.whenClosed();
    assert.equal(agent.getState(), 'closed');
  });

  test('leave stops every task, reports them cancelled and closes', async (t) => {
    const { fake, agent, runtime } = await harness(t);
    const tasks = [assignment('a'), assignment('b')];
    await fake.assign(WORKER, tasks);
    await fake.waitFor('both running', () =>
      tasks.every((a) => fake.statesFor(refOf(a)).includes('running')),
    );
    await fake.leave(WORKER);
    await agent.whenClosed();
    for (const a of tasks) assert.ok(fake.statesFor(refOf(a)).includes('cancelled'));
    assert.deepEqual(await runtime.list(), []);
  });

  test('invalid messages are dropped and the agent keeps working', async (t) => {
    const { fake } = await harness(t);
    await fake.sendRaw(WORKER, 'not json');
    await fake.sendRaw(WORKER, JSON.stringify({ type: 'assign', v: 2, tasks: [] }));
    await fake.sendRaw(WORKER, JSON.stringify({ type: 'assign', v: 1, tasks: [{ job: 'x' }] }));
    const a = assignment('a');
    await fake.assign(WORKER, [a]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'));
  });

  test('a restarted agent adopts what runs (join.running) and re-reports unacknowledged ends', async (t) => {
    const fake = await FakeManager.start();
    const clock = new FakeClock();
    const runtime = new CountingRuntime(new SimulatedRuntime(clock));
    runtime.keepOpen = true; // the "containers" outlive the first agent process
    t.after(() => fake.close());
    const first = await startAgent(fake, clock, runtime);
    await fake.waitFor('join', () => fake.joins(WORKER)[0]);
    const a = assignment('a');
    const b = assignment('b', { runSeconds: 1 });
    await fake.assign(WORKER, [a, b]);
    await fake.waitFor('running', () => fake.statesFor(refOf(a)).includes('running'));
    fake.autoAck = false;
    clock.advance(1000);
    const finished = await fake.waitFor('b finished', () =>
      fake.reportsFor(refOf(b)).find((r) => r.state === 'finished'),
    );
    await first.close();

    fake.autoAck = true;
    const second = await startAgent(fake, clock, runtime);
    t.after(() => second.close());
    const rejoin = await fake.waitFor('second join', () => fake.joins(WORKER)[1]);
    assert.deepEqual(rejoin.running, [refOf(a)]);
    await fake.waitFor(
      'b re-reported with the same id',
      () => fake.reportsFor(refOf(b)).filter((r) => r.id === finished.id).length >= 2,
    );
    await fake.waitFor('b pruned after the ack', async () => !(await runtime.has(refOf(b))));
    await fake.sync(WORKER, [a]);
    await fake.waitFor('active', () => second.getState() === 'active');
    await settle();
    assert.equal(runtime.starts.get(taskRefKey(a)), 1, 'adopted, not started again');
  });

  test('thousands of simulated tasks: all run, end, are reported once acked and pruned', async (t) => {
    const { fake, clock, runtime, agent } = await harness(t);
    const fleet = Array.from({ length: 2000 }, (_, i) => assignment(`t${i}`, { runSeconds: 1 + (i % 3) }));
    const started = Date.now();
    await fake.assign(WORKER, fleet);
    await fake.waitFor('all running', () => runtime.sim.runningCount() === fleet.length, 10_000);
    for (let s = 0; s < 3; s++) clock.advance(1000);
    const finishedIds = (): number =>
      new Set(fake.reports.filter((r) => r.state === 'finished').map((r) => r.id)).size;
    await fake.waitFor('all finished', () => finishedIds() === fleet.length, 10_000);
    await fake.waitFor('all pruned', async () => (await runtime.list()).length === 0, 10_000);
    assert.ok(agent.getTasks().every((e) => e.state === 'finished' && e.removed));
    assert.ok(Date.now() - started < 10_000);
  });

  test('close() releases every socket and timer: a process that closes its agent exits by itself', async () => {
    // A child process on the real clock: sockets, heartbeats, report retries and a task timer are
    // all live when close() is called, and nothing calls process.exit().
    const url = (path: string): string => new URL(path, import.meta.url).href;
    const script = `
      import { systemClock } from ${JSON.stringify(url('../../core/clock/clock.ts'))};
      import { silentLogger } from ${JSON.stringify(url('../../core/log/logger.ts'))};
      import { SimulatedRuntime } from ${JSON.stringify(url('../../worker/simulated-runtime.ts'))};
      import { WorkerAgent } from ${JSON.stringify(url('../../worker/worker-agent.ts'))};
      import { FakeManager } from ${JSON.stringify(url('../support/fake-manager.ts'))};
      const fake = await FakeManager.start();
      fake.autoAck = false;
      const agent = WorkerAgent.create(
        { workerId: 'w', managerEndpoint: fake.managerEndpoint, discoveryEndpoint: fake.discoveryEndpoint,
          heartbeatIntervalMs: 20, coreIds: [0], memoryBytes: 1024, runtime: 'simulated' },
        { runtime: new SimulatedRuntime(systemClock), clock: systemClock, logger: silentLogger() },
      );
      await agent.run();
      // The fake can only address the worker once its join arrived; a sync makes the agent active.
      await fake.waitFor('join', () => fake.joins('w')[0]);
      await fake.sync('w', []);
      await fake.assign('w', [${JSON.stringify(assignment('a', { runSeconds: 60 }))}]);
      await fake.waitFor('running', () => fake.reports.some((r) => r.state === 'running'), 15000);
      await fake.waitFor('heartbeats', () => fake.heartbeats('w').length >= 2);
      await agent.close();
      await fake.close();
      console.log('closed:' + agent.getState());
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    const watchdog = new AbortController();
    const timedOut = delay(30_000, 'still running' as const, { signal: watchdog.signal }).catch(
      () => 'cancelled' as const,
    );
    const result = await Promise.race([exited, timedOut]);
    watchdog.abort();
    if (result === 'still running') child.kill('SIGKILL');
    assert.equal(result, 0, `the child should exit 0 by itself; output:\n${output}`);
    assert.match(output, /closed:closed/);
  });
});

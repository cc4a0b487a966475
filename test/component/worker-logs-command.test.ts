/**
 * @module The worker side of the `logs` command, against a fake GlobalManager and a simulated
 * runtime: a chunk of lines with a cursor that continues where it stopped, the byte cap, refs the
 * agent does not know (never another worker's or cluster's task), and a followed task whose
 * container is removed after its end is acknowledged: its last output is still answered. Ended
 * tasks nobody followed (finished, or stopped) are kept too, `ended`, even once the GlobalManager
 * no longer lists them; past `keptLogTasks` the oldest is evicted and the answer says so.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { silentLogger } from '../../core/log/logger.js';
import {
  PROTOCOL_VERSION,
  type CommandResult,
  type TaskAssignment,
  type WorkerCommand,
} from '../../core/protocol/index.js';
import { SimulatedRuntime } from '../../worker/simulated-runtime.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import { FakeManager } from '../support/fake-manager.js';

const WORKER = 'logs-worker';
const REF = { job: 'jl', task: 'a', attempt: 0 };

function assignment(runSeconds: number | null, ref = REF): TaskAssignment {
  return {
    ...ref,
    containerName: `${ref.job}_${ref.task}`,
    image: 'simulated',
    command: null,
    coreIds: [0],
    memoryBytes: 64 * 1024 ** 2,
    env: {},
    ports: [],
    volumes: [],
    network: null,
    runSeconds,
  };
}

describe('worker agent: logs command', { timeout: 30_000 }, () => {
  test('chunks by cursor, the byte cap, unknown refs, and the last output of a removed followed task', async (t) => {
    const fake = await FakeManager.start();
    const clock = new FakeClock(1_000_000);
    const runtime = new SimulatedRuntime(clock);
    const agent = WorkerAgent.create(
      {
        workerId: WORKER,
        managerEndpoint: fake.managerEndpoint,
        discoveryEndpoint: fake.discoveryEndpoint,
        heartbeatIntervalMs: 1000,
        coreIds: [0, 1],
        memoryBytes: 8 * 1024 ** 3,
        runtime: 'simulated',
      },
      { runtime, clock, logger: silentLogger() },
    );
    t.after(async () => {
      await agent.close();
      await fake.close();
    });
    await agent.run();
    await fake.waitFor('join', () => fake.joins(WORKER)[0]);
    await fake.sync(WORKER, [assignment(10)]);
    await fake.waitFor('running', () => fake.statesFor(REF).includes('running'));
    let n = 0;
    const ask = async (command: WorkerCommand): Promise<CommandResult> => {
      const id = `l${++n}`;
      await fake.send(WORKER, { type: 'command', v: PROTOCOL_VERSION, id, workerId: WORKER, command });
      return fake.waitFor(`answer ${id}`, () => {
        const m = fake.fromWorkers.find((x) => x.message.type === 'commandResult' && x.message.id === id);
        return m?.message.type === 'commandResult' ? m.message : undefined;
      });
    };
    clock.advance(1000);
    runtime.write(REF, 'x'.repeat(10));
    runtime.write(REF, 'y'.repeat(10), 'stderr');

    const first = await ask({ kind: 'logs', task: REF, maxBytes: 50 });
    assert.equal(first.outcome, 'done');
    assert.deepEqual(
      first.logs?.lines.map((l) => l.text),
      ['started a (job jl, attempt 0) on cores 0'],
    );
    assert.equal(first.logs?.more, true);
    assert.equal(first.logs?.ended, false);
    const rest = await ask({ kind: 'logs', task: REF, after: first.logs?.cursor ?? undefined, maxBytes: 60 });
    assert.deepEqual(
      rest.logs?.lines.map((l) => `${l.stream}:${l.text}`),
      [`stdout:${'x'.repeat(10)}`, `stderr:${'y'.repeat(10)}`],
    );
    assert.equal(rest.logs?.more, false);

    const stranger = await ask({ kind: 'logs', task: { ...REF, job: 'other' }, maxBytes: 60 });
    assert.equal(stranger.outcome, 'unknown-task');
    assert.equal(stranger.logs, undefined);

    // The task ends; Discovery acknowledges; the agent removes it, keeping what was followed.
    clock.advance(10_000);
    await fake.waitFor('finished', () => fake.statesFor(REF).includes('finished'));
    await fake.ack(fake.reportsFor(REF).map((r) => r.id));
    await fake.waitFor('removed', () => agent.getTasks().find((e) => e.ref.task === 'a')?.removed);
    const last = await ask({
      kind: 'logs',
      task: REF,
      after: rest.logs?.cursor ?? undefined,
      maxBytes: 1000,
    });
    assert.equal(last.outcome, 'done');
    assert.deepEqual(
      last.logs?.lines.map((l) => l.text),
      ['exited with code 0'],
    );
    assert.equal(last.logs?.ended, true);
  });

  test('ended tasks are kept after removal without a reader, stopped ones too; the oldest is evicted', async (t) => {
    const fake = await FakeManager.start();
    const clock = new FakeClock(1_000_000);
    const runtime = new SimulatedRuntime(clock);
    const agent = WorkerAgent.create(
      {
        workerId: WORKER,
        managerEndpoint: fake.managerEndpoint,
        discoveryEndpoint: fake.discoveryEndpoint,
        heartbeatIntervalMs: 1000,
        coreIds: [0, 1],
        memoryBytes: 8 * 1024 ** 3,
        runtime: 'simulated',
        keptLogTasks: 2,
      },
      { runtime, clock, logger: silentLogger() },
    );
    t.after(async () => {
      await agent.close();
      await fake.close();
    });
    await agent.run();
    await fake.waitFor('join', () => fake.joins(WORKER)[0]);
    const refs = ['a', 'b', 'c'].map((task) => ({ job: 'jk', task, attempt: 0 }));
    const [a, b, c] = refs as [typeof REF, typeof REF, typeof REF];
    let n = 0;
    const ask = async (task: typeof REF): Promise<CommandResult> => {
      const id = `k${++n}`;
      const command: WorkerCommand = { kind: 'logs', task, maxBytes: 10_000 };
      await fake.send(WORKER, { type: 'command', v: PROTOCOL_VERSION, id, workerId: WORKER, command });
      return fake.waitFor(`answer ${id}`, () => {
        const m = fake.fromWorkers.find((x) => x.message.type === 'commandResult' && x.message.id === id);
        return m?.message.type === 'commandResult' ? m.message : undefined;
      });
    };
    const removed = (ref: typeof REF) => () =>
      agent.getTasks().find((e) => e.ref.task === ref.task)?.removed || undefined;

    // a finishes on its own; nobody read its logs; its end is acknowledged, its container removed.
    await fake.sync(WORKER, [assignment(1, a), assignment(null, b)]);
    await fake.waitFor('running', () => fake.statesFor(b).includes('running'));
    runtime.write(a, 'a says hi');
    clock.advance(1000);
    await fake.waitFor('a finished', () => fake.statesFor(a).includes('finished'));
    await fake.ack(fake.reportsFor(a).map((r) => r.id));
    await fake.waitFor('a removed', removed(a));
    // b is stopped (no longer desired): its output is kept before it is removed.
    runtime.write(b, 'b was here');
    await fake.sync(WORKER, []);
    await fake.waitFor('b removed', removed(b));
    await fake.sync(WORKER, []); // forgets the ended tasks: the kept logs stay

    const keptA = await ask(a);
    assert.equal(keptA.outcome, 'done');
    assert.deepEqual(
      keptA.logs?.lines.map((l) => l.text),
      ['started a (job jk, attempt 0) on cores 0', 'a says hi', 'exited with code 0'],
    );
    assert.equal(keptA.logs?.ended, true);
    const keptB = await ask(b);
    assert.deepEqual(keptB.logs?.lines.map((l) => l.text).slice(-1), ['b was here']);
    assert.equal(keptB.logs?.ended, true);

    // A third ended task: with keptLogTasks 2, a (the oldest ended) is evicted, and told so.
    await fake.sync(WORKER, [assignment(1, c)]);
    await fake.waitFor('c running', () => fake.statesFor(c).includes('running'));
    clock.advance(1000);
    await fake.waitFor('c finished', () => fake.statesFor(c).includes('finished'));
    await fake.ack(fake.reportsFor(c).map((r) => r.id));
    await fake.waitFor('c removed', removed(c));
    const evicted = await ask(a);
    assert.equal(evicted.outcome, 'unknown-task');
    assert.equal(
      evicted.reason,
      `evicted: worker ${WORKER} keeps the last 2 tasks' logs (worker.keptLogTasks)`,
    );
    assert.equal((await ask(c)).outcome, 'done');
    const never = await ask({ job: 'jk', task: 'never', attempt: 0 });
    assert.equal(never.outcome, 'unknown-task');
    assert.match(never.reason ?? '', /is not a task of worker/);
  });
});

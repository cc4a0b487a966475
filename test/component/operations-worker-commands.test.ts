/**
 * @module The worker side of task commands, against a fake GlobalManager: `update` and
 * `checkpoint` are answered with a `commandResult` carrying the id, the outcome and the engine's
 * reason; a task the agent does not run is `unknown-task`; an update reaches the runtime.
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
import {
  REASON_SIM_NO_CHECKPOINT,
  SIM_UPDATE_ERROR_ENV,
  SimulatedRuntime,
} from '../../worker/simulated-runtime.js';
import { WorkerAgent } from '../../worker/worker-agent.js';
import { FakeManager } from '../support/fake-manager.js';

const WORKER = 'cmd-worker';

function assignment(task: string, env: Record<string, string> = {}): TaskAssignment {
  return {
    job: 'jc',
    task,
    attempt: 0,
    containerName: `jc_${task}`,
    image: 'simulated',
    command: null,
    coreIds: [0],
    memoryBytes: 64 * 1024 ** 2,
    env,
    ports: [],
    volumes: [],
    network: null,
    runSeconds: null,
  };
}

describe('worker agent: task commands', { timeout: 30_000 }, () => {
  test('update, checkpoint and unknown tasks are answered by id with the outcome and reason', async (t) => {
    const fake = await FakeManager.start();
    const clock = new FakeClock(1_000_000);
    const runtime = new SimulatedRuntime(clock);
    const agent = WorkerAgent.create(
      {
        workerId: WORKER,
        managerEndpoint: fake.managerEndpoint,
        discoveryEndpoint: fake.discoveryEndpoint,
        heartbeatIntervalMs: 1000,
        coreIds: [0, 1, 2, 3],
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
    const a = assignment('a');
    const b = assignment('b', { [SIM_UPDATE_ERROR_ENV]: 'cpuset 7 does not exist' });
    await fake.sync(WORKER, [a, b]);
    await fake.waitFor('running', () =>
      [a, b].every((x) => fake.statesFor({ job: x.job, task: x.task, attempt: 0 }).includes('running')),
    );
    const ask = async (id: string, command: WorkerCommand): Promise<CommandResult> => {
      await fake.send(WORKER, { type: 'command', v: PROTOCOL_VERSION, id, workerId: WORKER, command });
      return fake.waitFor(`answer ${id}`, () => {
        const m = fake.fromWorkers.find((x) => x.message.type === 'commandResult' && x.message.id === id);
        return m?.message.type === 'commandResult' ? m.message : undefined;
      });
    };
    const ref = (task: string) => ({ job: 'jc', task, attempt: 0 });
    const strip = (r: CommandResult) => [r.outcome, r.reason, r.workerId];

    assert.deepEqual(
      strip(await ask('u1', { kind: 'update', task: ref('a'), coreIds: [2, 3], memoryBytes: 128 })),
      ['done', null, WORKER],
    );
    assert.deepEqual(runtime.limitsOf(ref('a')), { coreIds: [2, 3], memoryBytes: 128 });
    assert.deepEqual(
      strip(await ask('u2', { kind: 'update', task: ref('b'), coreIds: [1], memoryBytes: 0 })),
      ['failed', 'cpuset 7 does not exist', WORKER],
    );
    assert.deepEqual(runtime.limitsOf(ref('b')), { coreIds: [0], memoryBytes: 64 * 1024 ** 2 });
    const unknown = await ask('u3', { kind: 'update', task: ref('zz'), coreIds: [1], memoryBytes: 0 });
    assert.equal(unknown.outcome, 'unknown-task');
    assert.match(unknown.reason ?? '', /jc\/zz#0 is not running on this worker/);
    assert.deepEqual(strip(await ask('c1', { kind: 'checkpoint', task: ref('a'), checkpoint: 'ck1' })), [
      'unsupported',
      REASON_SIM_NO_CHECKPOINT,
      WORKER,
    ]);
  });
});

/**
 * @module The GlobalManager after a restart: a worker known only from the records and silent past
 * the timeout is reported lost, and the leader settles its job by the restart policy (re-queued by
 * default, failed with the task `lost` when `requeueOnWorkerLoss` is false), freeing its cores. A
 * worker that keeps sending heartbeats is never declared lost, even without a session, and is
 * asked to rejoin at most once per interval. Real GlobalManager and leader, in-memory stores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dealer } from 'zeromq';
import { systemClock } from '../../core/clock/clock.js';
import {
  LocalControlLink,
  StoreProjection,
  leaderBackedStores,
  type ControlCommand,
} from '../../core/control-state/index.js';
import { createMemoryDurableState } from '../../core/durable/index.js';
import type { RestartPolicy } from '../../core/job/job-model.js';
import { silentLogger } from '../../core/log/logger.js';
import type { JobRecord } from '../../core/model/records.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION } from '../../core/protocol/index.js';
import { createMemoryStores } from '../../core/store/index.js';
import { RecordingLinks } from '../../core/transport/index.js';
import { GlobalManager } from '../../global-manager/global-manager.js';
import { ControlLeader } from '../../job-manager/control-leader.js';
import { waitFor } from '../support/control-plane-harness.js';
import { jobSpec } from '../support/control-state-fixtures.js';

async function setup(policy: Partial<RestartPolicy>) {
  const records = createMemoryStores();
  const durable = createMemoryDurableState();
  const leader = new ControlLeader(
    { id: 'jm', defaultStrategy: 'best-fit', agingPerSecond: 0 },
    {
      log: durable.log<ControlCommand>(),
      snapshots: durable.snapshots,
      dispatch: new RecordingLinks(),
      records: new StoreProjection(records),
      clock: systemClock,
      logger: silentLogger(),
    },
  );
  await leader.lead(1);
  const control = new LocalControlLink(leader);
  // What the API reads: live jobs and workers from the leader, history from the stores.
  const reads = leaderBackedStores(records, control);
  await control.propose({
    kind: 'worker-joined',
    worker: { id: 'w1', runtime: 'simulated', coreIds: [0, 1], totalMemoryBytes: 1024 ** 3 },
  });
  await control.propose({ kind: 'submit', spec: jobSpec('j', [2], policy) });
  await leader.idle();
  assert.equal((await reads.jobs.get('j'))?.state, 'scheduled');
  const gm = await GlobalManager.create(
    {
      endpoint: 'tcp://127.0.0.1:0',
      joinToken: '',
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 300,
      usageSampleIntervalMs: 0,
    },
    { stores: reads, control, clock: systemClock, logger: silentLogger() },
  );
  return { stores: reads, records, leader, control, gm };
}

const cases: { what: string; policy: Partial<RestartPolicy>; check: (j: JobRecord) => void }[] = [
  {
    what: 're-queued by default',
    policy: {},
    check: (j) => {
      assert.equal(j.state, 'waiting');
      assert.equal(j.failureCode, 'WORKER_LOST', 'the code of the attempt that ended');
      assert.equal(j.attempt, 1);
      assert.equal(j.tasks[0]?.state, 'pending');
    },
  },
  {
    what: 'failed with the task lost when requeueOnWorkerLoss is false',
    policy: { requeueOnWorkerLoss: false },
    check: (j) => {
      assert.equal(j.state, 'failed');
      assert.equal(j.failureCode, 'WORKER_LOST');
      assert.equal(j.attempt, 0);
      assert.equal(j.tasks[0]?.state, 'lost');
      assert.match(j.tasks[0]?.reason ?? '', /worker w1 was lost while running t0/);
    },
  },
];

for (const c of cases) {
  test(`a restarted GlobalManager reports a silent worker lost; its job is ${c.what}`, async () => {
    const { stores, records, leader, control, gm } = await setup(c.policy);
    gm.run();
    try {
      const job = await waitFor('the job settled', async () => {
        const j = await stores.jobs.get('j');
        return j && j.state !== 'scheduled' ? j : undefined;
      });
      c.check(job);
      assert.match(job.failureReason ?? '', /worker w1 was lost while running t0/);
      assert.equal((await stores.workers.get('w1'))?.state, 'lost');
      assert.deepEqual((await stores.workers.get('w1'))?.bookings, []);
      const lost = await records.events.list({ job: 'j', kind: 'task-state' }, 10);
      assert.deepEqual(
        lost.map((e) => `${e.task}#${e.attempt}@${e.worker}: ${e.detail}`),
        ['t0#0@w1: lost: worker w1 was lost'],
      );
      assert.deepEqual(await control.query({ kind: 'consistency' }), []);
    } finally {
      await gm.close();
      await leader.close();
    }
  });
}

test('a worker that keeps sending heartbeats is never declared lost by a restarted GlobalManager', async () => {
  const { stores, leader, gm } = await setup({});
  gm.run();
  const dealer = new Dealer({ routingId: 'w1', linger: 0 });
  dealer.connect(gm.endpoint);
  let rejoinAsks = 0;
  const reading = (async () => {
    for await (const [frame] of dealer) {
      const d = decodeMessage(frame as Buffer);
      if (d.ok && d.message.type === 'reject' && d.message.rejoin) rejoinAsks++;
    }
  })().catch(() => undefined);
  try {
    const until = Date.now() + 1500; // five heartbeat timeouts
    let beats = 0;
    while (Date.now() < until) {
      await dealer.send(
        encodeMessage({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId: 'w1', at: Date.now() }),
      );
      beats++;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await stores.workers.get('w1'))?.state, 'ready');
    assert.equal((await stores.jobs.get('j'))?.state, 'scheduled');
    assert.ok(rejoinAsks >= 1, 'asked to rejoin');
    assert.ok(rejoinAsks <= beats / 2, `asked ${rejoinAsks} times for ${beats} heartbeats`);
  } finally {
    dealer.close();
    await reading;
    await gm.close();
    await leader.close();
  }
});

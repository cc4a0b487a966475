/**
 * @module Task and worker operations in process (in-memory store and queue, real ZeroMQ on
 * loopback, simulated workers): migrate, update, checkpoint, drain with migrate and remove
 * worker, including every refusal path; the books balance after each.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { SIM_UPDATE_ERROR_ENV } from '../../worker/simulated-runtime.js';
import type { WorkerView } from '../support/api-views.js';

function job(
  name: string,
  tasks: { cores: number; memory?: string; env?: Record<string, string> }[],
  extra = {},
) {
  return {
    name,
    tasks: tasks.map((t, i) => ({
      name: `t${i + 1}`,
      image: 'busybox',
      cores: t.cores,
      memory: t.memory ?? '64m',
      ...(t.env ? { env: t.env } : {}),
    })),
    ...extra,
  };
}

async function running(c: Cluster, name: string): Promise<any> {
  let last: unknown;
  return waitFor(`${name} running`, async () => {
    const b = (await c.api('GET', `/api/v1/jobs/${name}`)).body;
    last = b;
    if (b?.state === 'failed' || b?.state === 'cancelled') throw new Error(JSON.stringify(b));
    return b?.tasks.every((t: any) => t.state === 'running') ? b : undefined;
  }).catch((err: unknown) => {
    throw new Error(`${String(err)}; last seen: ${JSON.stringify(last)}`);
  });
}

async function consistent(c: Cluster): Promise<void> {
  assert.deepEqual((await c.api('GET', '/api/v1/manager/consistency')).body, { ok: true, problems: [] });
}

async function worker(c: Cluster, id: string): Promise<any> {
  return (await c.api('GET', `/api/v1/workers/${id}`)).body;
}

describe('task operations (simulated workers)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({
      overrides: { cluster: { operationTimeoutMs: 5000 } },
      workers: [
        { workerId: 'op-a', coreIds: [0, 1] },
        { workerId: 'op-b', coreIds: [2, 3] },
      ],
    });
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
  });
  after(async () => c.close());

  test('migrate moves a running task to the other worker; bookings move with it, exactly once', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', job('mig1', [{ cores: 1 }]))).status, 202);
    const before = await running(c, 'mig1');
    const from = before.tasks[0].worker as string;
    const to = from === 'op-a' ? 'op-b' : 'op-a';
    const res = await c.api('POST', '/api/v1/tasks/mig1_t1/migrate', {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.mode, 'cold');
    assert.equal(res.body.from, from);
    assert.equal(res.body.to, to);
    assert.equal(res.body.running, true);
    assert.equal(res.body.error, null);
    assert.match(res.body.note, /cold/);
    const after = (await c.api('GET', '/api/v1/jobs/mig1')).body;
    assert.equal(after.tasks[0].worker, to);
    assert.equal(after.tasks[0].state, 'running');
    assert.equal(after.tasks[0].cpuset, res.body.cpuset);
    assert.deepEqual((await worker(c, to)).tasks, ['mig1/t1']);
    assert.deepEqual((await worker(c, from)).tasks, []);
    // The source stopped its copy; the target runs it.
    await waitFor('source copy cancelled', () => {
      const states = c.workers.flatMap((w) =>
        w
          .getTasks()
          .filter((e) => e.ref.job === 'mig1')
          .map((e) => e.state),
      );
      return Promise.resolve(states.includes('cancelled') && states.includes('running') ? true : undefined);
    });
    // A stale "cancelled" from the source did not fail the task.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await c.api('GET', '/api/v1/jobs/mig1')).body.tasks[0].state, 'running');
    const events = (await c.plane.stores.events.list({ job: 'mig1', kind: 'task-migrated' }, 10)).map(
      (e) => e.worker,
    );
    assert.deepEqual(events, [to]);
    await consistent(c);
    assert.equal((await c.api('DELETE', '/api/v1/jobs/mig1')).status, 202);
  });

  test('concurrent migrations of one task: each success moved it once, the rest are refused, nothing is booked twice', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', job('race', [{ cores: 1 }]))).status, 202);
    await running(c, 'race');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => c.api('POST', '/api/v1/tasks/race_t1/migrate', {})),
    );
    const wins = answers.filter((a) => a.status === 200);
    // Fired together they overlap, so normally one wins; a request that starts after an earlier
    // move completed may legitimately move it again. Either way: one event per success.
    assert.ok(wins.length >= 1, JSON.stringify(answers.map((a) => a.body)));
    assert.ok(
      answers.every((a) => a.status === 200 || a.status === 409),
      JSON.stringify(answers.map((a) => a.status)),
    );
    const events = await c.plane.stores.events.list({ job: 'race', kind: 'task-migrated' }, 100);
    assert.equal(events.length, wins.length);
    const placed = (await c.api('GET', '/api/v1/jobs/race')).body.tasks[0].worker as string;
    const ws = (await c.api('GET', '/api/v1/workers')).body as WorkerView[];
    assert.deepEqual(
      ws.flatMap((w) => (w.tasks ?? []).map((t) => `${w.id}:${t}`)),
      [`${placed}:race/t1`],
    );
    await consistent(c);
    await c.api('DELETE', '/api/v1/jobs/race');
  });

  test('migrate refuses: unknown task, unknown target, same worker, no room, not running', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', job('mig2', [{ cores: 2 }]))).status, 202);
    const j = await running(c, 'mig2');
    const from = j.tasks[0].worker as string;
    const other = from === 'op-a' ? 'op-b' : 'op-a';
    const unknown = await c.api('POST', '/api/v1/tasks/nope/migrate', {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'TASK_NOT_FOUND');
    const badTo = await c.api('POST', '/api/v1/tasks/mig2_t1/migrate', { to: 'ghost' });
    assert.equal(badTo.status, 404);
    assert.equal(badTo.body.error.code, 'WORKER_NOT_FOUND');
    assert.match(badTo.body.error.message, /ghost/);
    const same = await c.api('POST', '/api/v1/tasks/mig2_t1/migrate', { to: from });
    assert.equal(same.status, 409);
    assert.equal(same.body.error.code, 'CONFLICT');
    // Fill the other worker, then ask again: no room, with counts.
    assert.equal((await c.api('POST', '/api/v1/jobs', job('fill', [{ cores: 2 }]))).status, 202);
    await running(c, 'fill');
    const full = await c.api('POST', '/api/v1/tasks/mig2_t1/migrate', { to: other });
    assert.equal(full.status, 409);
    assert.equal(full.body.error.code, 'NO_CAPACITY');
    assert.match(full.body.error.message, /\d/);
    const auto = await c.api('POST', '/api/v1/tasks/mig2_t1/migrate', {});
    assert.equal(auto.status, 409);
    assert.equal(auto.body.error.code, 'NO_CAPACITY');
    assert.match(auto.body.error.message, new RegExp(`other than ${from}`));
    // A waiting job's task is not running.
    assert.equal((await c.api('POST', '/api/v1/jobs', job('mig-wait', [{ cores: 1 }]))).status, 202);
    await waitFor('mig-wait unplaced', async () =>
      (await c.api('GET', '/api/v1/jobs/mig-wait')).body?.unplacedReason ? true : undefined,
    );
    const pending = await c.api('POST', '/api/v1/tasks/mig-wait_t1/migrate', {});
    assert.equal(pending.status, 409);
    assert.equal(pending.body.error.code, 'TASK_NOT_RUNNING');
    assert.match(pending.body.error.message, /pending/);
    // Bare task names: "t1" is ambiguous across jobs, and the answer lists the container names.
    const ambiguous = await c.api('POST', '/api/v1/tasks/t1/migrate', {});
    assert.equal(ambiguous.status, 409);
    assert.match(ambiguous.body.error.message, /mig2_t1/);
    // Nothing above booked anything.
    assert.deepEqual((await worker(c, from)).tasks, ['mig2/t1']);
    await consistent(c);
    for (const n of ['mig2', 'fill', 'mig-wait']) await c.api('DELETE', `/api/v1/jobs/${n}`);
    await waitFor('workers empty', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body;
      return ws.every((w: any) => w.tasks.length === 0) ? true : undefined;
    });
  });

  test('update resizes in place when there is room, refuses with the reason when not, rolls back on engine failure', async () => {
    assert.equal((await c.api('POST', '/api/v1/jobs', job('up1', [{ cores: 1 }, { cores: 1 }]))).status, 202);
    const j = await running(c, 'up1');
    const [t1, t2] = j.tasks;
    if (t1.worker !== t2.worker) {
      // Put both on one worker so they compete for its cores.
      const m = await c.api('POST', '/api/v1/tasks/up1_t2/migrate', { to: t1.worker });
      assert.equal(m.status, 200, m.text);
    }
    const w = t1.worker as string;
    const other = (await c.api('GET', '/api/v1/jobs/up1')).body.tasks[1].cpuset as string;
    const busy = await c.api('POST', '/api/v1/tasks/up1_t1/update', { cpuset: other });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'NO_CAPACITY');
    assert.match(
      busy.body.error.message,
      new RegExp(`cores ${other} of ${w} are busy \\(booked by up1/t2#0\\)`),
    );
    const tooMuch = await c.api('POST', '/api/v1/tasks/up1_t1/update', { memory: '8g' });
    assert.equal(tooMuch.status, 409);
    assert.match(tooMuch.body.error.message, /free for this task, 8 GiB needed/);
    const badCpuset = await c.api('POST', '/api/v1/tasks/up1_t1/update', { cpuset: 'x-y' });
    assert.equal(badCpuset.status, 400);
    assert.equal(badCpuset.body.error.details?.[0]?.pointer, '/cpuset');
    const ok = await c.api('POST', '/api/v1/tasks/up1_t1/update', { memory: '128m' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.memoryBytes, 128 * 1024 ** 2);
    const view = await worker(c, w);
    assert.equal(view.freeMemoryBytes, view.totalMemoryBytes - (128 + 64) * 1024 ** 2);
    await consistent(c);
    await c.api('DELETE', '/api/v1/jobs/up1');
    // The engine refuses: the booking is put back as it was.
    assert.equal(
      (
        await c.api(
          'POST',
          '/api/v1/jobs',
          job('up2', [{ cores: 1, env: { [SIM_UPDATE_ERROR_ENV]: 'engine says no' } }]),
        )
      ).status,
      202,
    );
    const u = await running(c, 'up2');
    const before = await worker(c, u.tasks[0].worker);
    const refused = await c.api('POST', '/api/v1/tasks/up2_t1/update', { memory: '32m' });
    assert.equal(refused.status, 502);
    assert.equal(refused.body.error.code, 'WORKER_COMMAND_FAILED');
    assert.match(refused.body.error.message, /engine says no/);
    const afterRefusal = await worker(c, u.tasks[0].worker);
    assert.equal(afterRefusal.freeMemoryBytes, before.freeMemoryBytes);
    assert.equal((await c.api('GET', '/api/v1/jobs/up2')).body.tasks[0].memoryBytes, 64 * 1024 ** 2);
    // Checkpoint: the simulated engine cannot.
    const ck = await c.api('POST', '/api/v1/tasks/up2_t1/checkpoint');
    assert.equal(ck.status, 501);
    assert.equal(ck.body.error.code, 'CHECKPOINT_UNSUPPORTED');
    assert.match(ck.body.error.message, /cannot checkpoint/);
    await consistent(c);
    await c.api('DELETE', '/api/v1/jobs/up2');
  });

  test('a task migrated away and back runs again on its first worker; job migrate answers per task', async () => {
    await waitFor('workers empty', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body;
      return ws.every((w: any) => w.tasks.length === 0) ? true : undefined;
    });
    assert.equal(
      (await c.api('POST', '/api/v1/jobs', job('back', [{ cores: 1 }, { cores: 1 }]))).status,
      202,
    );
    const j = await running(c, 'back');
    const x = j.tasks[0].worker as string;
    const y = x === 'op-a' ? 'op-b' : 'op-a';
    const there = await c.api('POST', '/api/v1/tasks/back_t1/migrate', { to: y });
    assert.equal(there.status, 200, there.text);
    assert.equal(there.body.running, true);
    const back = await c.api('POST', '/api/v1/tasks/back_t1/migrate', { to: x });
    assert.equal(back.status, 200, back.text);
    assert.deepEqual([back.body.to, back.body.running, back.body.error], [x, true, null]);
    await consistent(c);
    const all = await c.api('POST', '/api/v1/jobs/back/migrate', {});
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.map((r: any) => [r.task, r.running, r.error]).sort(), [
      ['t1', true, null],
      ['t2', true, null],
    ]);
    const after = (await c.api('GET', '/api/v1/jobs/back')).body;
    assert.ok(after.tasks.every((t: any, i: number) => t.worker === all.body[i].to && t.state === 'running'));
    await consistent(c);
    await c.api('DELETE', '/api/v1/jobs/back');
  });

  test('remove refuses a busy worker; drain with migrate empties it; then it is removed and told to leave', async () => {
    await waitFor('workers empty', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body;
      return ws.every((w: any) => w.tasks.length === 0) ? true : undefined;
    });
    await c.addWorker({ workerId: 'op-c', coreIds: [4, 5] });
    await waitFor('op-c joined', async () =>
      (await worker(c, 'op-c'))?.state === 'ready' ? true : undefined,
    );
    assert.equal((await c.api('POST', '/api/v1/jobs', job('dr1', [{ cores: 1 }]))).status, 202);
    const j = await running(c, 'dr1');
    const w = j.tasks[0].worker as string;
    const busy = await c.api('DELETE', `/api/v1/workers/${w}`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'WORKER_BUSY');
    assert.match(busy.body.error.message, /runs 1 task \(dr1\/t1\)/);
    const drained = await c.api('POST', `/api/v1/workers/${w}/drain`, { migrate: true });
    assert.equal(drained.status, 200, drained.text);
    assert.equal(drained.body.state, 'draining');
    assert.equal(drained.body.migrations.length, 1);
    assert.equal(drained.body.migrations[0].running, true);
    assert.notEqual(drained.body.migrations[0].to, w);
    assert.deepEqual(drained.body.tasks, []);
    const removed = await c.api('DELETE', `/api/v1/workers/${w}`);
    assert.equal(removed.status, 202, removed.text);
    assert.equal(removed.body.state, 'left');
    const agentOf = (id: string) => c.workers[['op-a', 'op-b', 'op-c'].indexOf(id)];
    await agentOf(w)?.whenClosed();
    assert.equal(agentOf(w)?.getState(), 'closed');
    await consistent(c);
    // Forced removal of a busy worker: its job is re-queued and runs elsewhere.
    const now = (await c.api('GET', '/api/v1/jobs/dr1')).body.tasks[0].worker as string;
    const forced = await c.api('DELETE', `/api/v1/workers/${now}?force=true`);
    assert.equal(forced.status, 202, forced.text);
    const again = await waitFor('dr1 re-queued and running elsewhere', async () => {
      const b = (await c.api('GET', '/api/v1/jobs/dr1')).body;
      return b?.state === 'running' && b.tasks[0].worker !== now && b.tasks[0].attempts === 2 ? b : undefined;
    });
    assert.equal((await worker(c, again.tasks[0].worker)).state, 'ready');
    assert.equal((await worker(c, now)).state, 'left');
    await agentOf(now)?.whenClosed();
    await consistent(c);
    await c.api('DELETE', '/api/v1/jobs/dr1');
  });

  test('a command to a worker that went away is answered 502 with the reason, not left hanging', async () => {
    const agent = await c.addWorker({ workerId: 'op-d', coreIds: [6, 7] });
    await waitFor('op-d joined', async () =>
      (await worker(c, 'op-d'))?.state === 'ready' ? true : undefined,
    );
    await c.api('POST', '/api/v1/workers/op-c/drain');
    assert.equal((await c.api('POST', '/api/v1/jobs', job('gone', [{ cores: 1 }]))).status, 202);
    assert.equal((await running(c, 'gone')).tasks[0].worker, 'op-d');
    await agent.close();
    const res = await c.api('POST', '/api/v1/tasks/gone_t1/checkpoint');
    assert.equal(res.status, 502, res.text);
    assert.equal(res.body.error.code, 'WORKER_COMMAND_FAILED');
    assert.match(res.body.error.message, /op-d .*(unreachable|timeout)/);
    await c.api('DELETE', '/api/v1/jobs/gone');
  });
});

/**
 * @module The storage contract: one suite every adapter of core/store/store-ports.ts must pass.
 * test/component/store-contract.test.ts runs it in memory, and
 * test/integration/mongo-store-contract.test.ts runs it on MongoDB (FerretDB in CI), so the two
 * adapters cannot drift apart. Expected values are written out by hand (or as JSON round trips),
 * never computed with the adapters' own helpers.
 */
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_STATES, type JobState, type TaskState } from '../../core/job/job-state.js';
import type { JobSpec, TaskSpec } from '../../core/job/job-model.js';
import type {
  ClusterEvent,
  JobRecord,
  TaskRecord,
  UsageSample,
  WorkerRecord,
} from '../../core/model/records.js';
import type { Stores, WorkerJoin } from '../../core/store/store-ports.js';

/** A task record: one core, 64 MiB, pending and unplaced unless `over` says otherwise. */
export function aTask(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    name: 't1',
    cores: 1,
    memoryBytes: 64 * 1024 * 1024,
    state: 'pending',
    workerId: null,
    coreIds: [],
    exitCode: null,
    reason: null,
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}

/** A task spec with the optional fields left `undefined`, as the normaliser produces them. */
function aTaskSpec(name: string): TaskSpec {
  return {
    name,
    image: 'busybox:latest',
    command: undefined,
    cores: 1,
    memoryBytes: 64 * 1024 * 1024,
    pin: undefined,
    ports: [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: 8080 }],
    volumes: [],
    env: { MODE: 'test' },
    runSeconds: undefined,
    deadline: undefined,
  };
}

/** A job record named `name` with the given tasks (default: one pending task). */
export function aJob(name: string, over: Partial<JobRecord> = {}): JobRecord {
  const tasks = over.tasks ?? [aTask()];
  const spec: JobSpec = {
    name,
    format: 'native',
    priority: 0,
    network: { name: `net-${name}`, driver: 'auto', subnet: undefined },
    restartPolicy: { mode: 'on-failure', maxAttempts: 3, requeueOnWorkerLoss: true },
    tasks: tasks.map((t) => aTaskSpec(t.name)),
  };
  return {
    name,
    spec,
    state: 'waiting',
    attempt: 0,
    priority: 0,
    submittedAt: 1_000,
    scheduledAt: null,
    startedAt: null,
    finishedAt: null,
    unplacedReason: null,
    failureReason: null,
    cancelRequested: false,
    tasks,
    version: 1,
    ...over,
  };
}

/** What a worker reports on join: four cores, 8 GiB, simulated runtime, at `now`. */
export function aJoin(id: string, over: Partial<WorkerJoin> = {}): WorkerJoin {
  return {
    id,
    runtime: 'simulated',
    coreIds: [0, 1, 2, 3],
    totalMemoryBytes: 8 * 1024 ** 3,
    now: 1_000,
    ...over,
  };
}

/** A worker record as the leader's projection writes it: ready, four cores, 8 GiB, no bookings. */
function aWorker(id: string, over: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    id,
    state: 'ready',
    runtime: 'simulated',
    coreIds: [0, 1, 2, 3],
    totalMemoryBytes: 8 * 1024 ** 3,
    bookings: [],
    joinedAt: 1_000,
    lastHeartbeatAt: 1_000,
    version: 1,
    ...over,
  };
}

/** `count` names `<prefix>00`, `<prefix>01`, …: zero-padded so they sort as numbered. */
function numbered(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
}

/** A usage sample of `workerId` at `at`. */
export function aSample(workerId: string, at: number, usedCores = 1): UsageSample {
  return { workerId, at, usedCores, usedMemoryBytes: 64 * 1024 ** 3, tasks: usedCores };
}

/** What a stored copy must look like: `undefined` properties gone, as after JSON or BSON. */
function stored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function names(jobs: readonly JobRecord[]): string[] {
  return jobs.map((j) => j.name);
}

/**
 * Registers the storage contract suite for one adapter.
 *
 * @param name - adapter name, shown in the suite title.
 * @param make - returns fresh, empty stores; called before every test (closed after it).
 * @param cleanup - runs once after the suite (drop a database, say).
 */
export function storeContract(
  name: string,
  make: () => Promise<Stores>,
  cleanup?: () => Promise<void>,
): void {
  describe(`store contract: ${name}`, () => {
    let s: Stores;
    beforeEach(async () => {
      s = await make();
    });
    afterEach(async () => {
      await s.close();
    });
    if (cleanup) after(cleanup);

    test('ping answers ok', async () => {
      assert.equal(await s.ping(), 'ok');
    });

    describe('jobs', () => {
      test('insert then get returns the record, undefined properties left out, numbers intact', async () => {
        const job = aJob('j1', {
          tasks: [aTask({ memoryBytes: 64 * 1024 ** 3, state: 'running', workerId: 'w1', coreIds: [2, 3] })],
          priority: -5,
        });
        assert.equal(await s.jobs.insert(job), true);
        const got = await s.jobs.get('j1');
        assert.deepEqual(got, stored(job));
        assert.equal(got?.tasks[0]?.memoryBytes, 64 * 1024 ** 3);
        assert.equal(typeof got?.submittedAt, 'number');
        assert.equal('command' in (got?.spec.tasks[0] ?? {}), false);
        assert.equal(got?.scheduledAt, null);
      });

      test('insert refuses a taken name and keeps the first job', async () => {
        assert.equal(await s.jobs.insert(aJob('j1', { priority: 1 })), true);
        assert.equal(await s.jobs.insert(aJob('j1', { priority: 2 })), false);
        assert.equal((await s.jobs.get('j1'))?.priority, 1);
      });

      test('concurrent inserts of one name: exactly one succeeds', async () => {
        const results = await Promise.all([1, 2, 3].map((p) => s.jobs.insert(aJob('j1', { priority: p }))));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await s.jobs.get('j1'))?.priority, results.indexOf(true) + 1);
      });

      test('get of an unknown job is undefined', async () => {
        assert.equal(await s.jobs.get('nope'), undefined);
      });

      test('callers cannot change stored state through objects they passed or got', async () => {
        const job = aJob('j1') as { -readonly [K in keyof JobRecord]: JobRecord[K] };
        await s.jobs.insert(job);
        job.priority = 99;
        const got = (await s.jobs.get('j1')) as any;
        got.tasks[0].state = 'running';
        got.spec.env = { X: '1' };
        const again = await s.jobs.get('j1');
        assert.equal(again?.priority, 0);
        assert.equal(again?.tasks[0]?.state, 'pending');
      });

      test('getMany skips unknown names and returns each job once', async () => {
        await s.jobs.insert(aJob('a'));
        await s.jobs.insert(aJob('b'));
        await s.jobs.insert(aJob('c'));
        const got = await s.jobs.getMany(['c', 'x', 'a', 'c']);
        assert.deepEqual(names(got).sort(), ['a', 'c']);
        assert.deepEqual(await s.jobs.getMany([]), []);
      });

      test('list pages through (submittedAt, name) order, ties on submittedAt included', async () => {
        // Inserted out of order; five jobs share submittedAt 2000 so pages split a tie.
        const order = ['a0', 'b1', 'b2', 'b3', 'b4', 'b5', 'c6'];
        const at: Record<string, number> = { a0: 1000, c6: 3000 };
        for (const n of [...order].reverse()) await s.jobs.insert(aJob(n, { submittedAt: at[n] ?? 2000 }));
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await s.jobs.list({}, 2, cursor);
          assert.ok(page.items.length <= 2);
          seen.push(...names(page.items));
          cursor = page.nextCursor ?? undefined;
          pages += 1;
        } while (cursor !== undefined && pages < 10);
        assert.deepEqual(seen, order);
        assert.equal(pages, 4);
      });

      test('list: a page that ends exactly at the last job has no next cursor', async () => {
        for (const n of ['a', 'b', 'c', 'd']) await s.jobs.insert(aJob(n));
        const first = await s.jobs.list({}, 2);
        assert.ok(first.nextCursor);
        const second = await s.jobs.list({}, 2, first.nextCursor);
        assert.deepEqual(names(second.items), ['c', 'd']);
        assert.equal(second.nextCursor, null);
        const all = await s.jobs.list({}, 10);
        assert.equal(all.nextCursor, null);
        assert.deepEqual(names(all.items), ['a', 'b', 'c', 'd']);
      });

      test('list filters by state, across pages', async () => {
        const states: JobState[] = ['waiting', 'running', 'waiting', 'finished', 'waiting', 'waiting'];
        for (const [i, state] of states.entries())
          await s.jobs.insert(aJob(`j${i}`, { state, submittedAt: 10 }));
        const first = await s.jobs.list({ state: 'waiting' }, 3);
        assert.deepEqual(names(first.items), ['j0', 'j2', 'j4']);
        const second = await s.jobs.list({ state: 'waiting' }, 3, first.nextCursor ?? undefined);
        assert.deepEqual(names(second.items), ['j5']);
        assert.equal(second.nextCursor, null);
        assert.deepEqual(names((await s.jobs.list({ state: 'failed' }, 3)).items), []);
      });

      test('list refuses a malformed cursor and a non-positive limit', async () => {
        await s.jobs.insert(aJob('a'));
        await assert.rejects(() => s.jobs.list({}, 2, 'not-a-cursor'), { code: 'VALIDATION_FAILED' });
        const notPair = Buffer.from('{"a":1}').toString('base64url');
        await assert.rejects(() => s.jobs.list({}, 2, notPair), { code: 'VALIDATION_FAILED' });
        await assert.rejects(() => s.jobs.list({}, 0), RangeError);
        await assert.rejects(() => s.jobs.listByStates(['waiting'], 0), RangeError);
      });

      test('listByStates returns jobs of the given states in order, at most limit', async () => {
        await s.jobs.insert(aJob('late', { state: 'waiting', submittedAt: 30 }));
        await s.jobs.insert(aJob('done', { state: 'finished', submittedAt: 5 }));
        await s.jobs.insert(aJob('early', { state: 'scheduled', submittedAt: 10 }));
        await s.jobs.insert(aJob('mid', { state: 'waiting', submittedAt: 20 }));
        assert.deepEqual(names(await s.jobs.listByStates(['waiting', 'scheduled'], 10)), [
          'early',
          'mid',
          'late',
        ]);
        assert.deepEqual(names(await s.jobs.listByStates(['waiting', 'scheduled'], 2)), ['early', 'mid']);
        assert.deepEqual(await s.jobs.listByStates([], 10), []);
      });

      test('listActiveOnWorker matches a non-terminal task on that worker, nothing looser', async () => {
        const on = (workerId: string | null, state: TaskState, name = 't1'): TaskRecord =>
          aTask({ name, workerId, state });
        await s.jobs.insert(aJob('running-w1', { submittedAt: 2, tasks: [on('w1', 'running')] }));
        await s.jobs.insert(aJob('pinned-pending-w1', { submittedAt: 1, tasks: [on('w1', 'pending')] }));
        // Its task on w1 has ended; another task runs on w2: active on w2 only.
        await s.jobs.insert(
          aJob('ended-w1-running-w2', { tasks: [on('w1', 'finished', 'a'), on('w2', 'starting', 'b')] }),
        );
        await s.jobs.insert(aJob('lost-w1', { tasks: [on('w1', 'lost')] }));
        await s.jobs.insert(aJob('unplaced', { tasks: [on(null, 'pending')] }));
        await s.jobs.insert(aJob('w10', { tasks: [on('w10', 'scheduled')] }));
        assert.deepEqual(names(await s.jobs.listActiveOnWorker('w1')), ['pinned-pending-w1', 'running-w1']);
        assert.deepEqual(names(await s.jobs.listActiveOnWorker('w2')), ['ended-w1-running-w2']);
        assert.deepEqual(names(await s.jobs.listActiveOnWorker('w3')), []);
      });

      test('listActiveOnWorker follows replaces (placement and end of a task)', async () => {
        const job = aJob('j1');
        await s.jobs.insert(job);
        assert.deepEqual(await s.jobs.listActiveOnWorker('w1'), []);
        const placed = { ...job, tasks: [aTask({ workerId: 'w1', state: 'scheduled', coreIds: [0] })] };
        assert.equal(await s.jobs.replace(placed, 1), true);
        assert.deepEqual(names(await s.jobs.listActiveOnWorker('w1')), ['j1']);
        const ended = { ...placed, tasks: [aTask({ workerId: 'w1', state: 'failed', exitCode: 1 })] };
        assert.equal(await s.jobs.replace(ended, 2), true);
        assert.deepEqual(await s.jobs.listActiveOnWorker('w1'), []);
      });

      test('replace writes on the expected version and stores expected + 1', async () => {
        await s.jobs.insert(aJob('j1', { version: 4 }));
        // The version field of the record passed in does not matter; the expected one does.
        assert.equal(await s.jobs.replace(aJob('j1', { state: 'scheduled', version: 77 }), 4), true);
        const got = await s.jobs.get('j1');
        assert.equal(got?.version, 5);
        assert.equal(got?.state, 'scheduled');
        assert.deepEqual(got, stored(aJob('j1', { state: 'scheduled', version: 5 })));
      });

      test('replace with a stale version, or of a missing job, writes nothing', async () => {
        await s.jobs.insert(aJob('j1'));
        assert.equal(await s.jobs.replace(aJob('j1', { state: 'running' }), 0), false);
        assert.equal(await s.jobs.replace(aJob('j1', { state: 'running' }), 2), false);
        assert.deepEqual(await s.jobs.get('j1'), stored(aJob('j1')));
        assert.equal(await s.jobs.replace(aJob('ghost'), 1), false);
        assert.equal(await s.jobs.get('ghost'), undefined);
      });

      test('two writers with the same expected version: exactly one wins', async () => {
        await s.jobs.insert(aJob('j1'));
        const [a, b] = await Promise.all([
          s.jobs.replace(aJob('j1', { priority: 1 }), 1),
          s.jobs.replace(aJob('j1', { priority: 2 }), 1),
        ]);
        assert.equal(Number(a) + Number(b), 1);
        const got = await s.jobs.get('j1');
        assert.equal(got?.version, 2);
        assert.equal(got?.priority, a ? 1 : 2);
      });

      test('countByState reports every state, zeros included', async () => {
        const zeros = Object.fromEntries(JOB_STATES.map((st) => [st, 0]));
        assert.deepEqual(await s.jobs.countByState(), zeros);
        await s.jobs.insert(aJob('a', { state: 'waiting' }));
        await s.jobs.insert(aJob('b', { state: 'waiting' }));
        await s.jobs.insert(aJob('c', { state: 'failed' }));
        await s.jobs.replace(aJob('b', { state: 'running' }), 1);
        assert.deepEqual(await s.jobs.countByState(), { ...zeros, waiting: 1, running: 1, failed: 1 });
      });

      test('deleteEndedBefore deletes ended jobs finished strictly before the time', async () => {
        await s.jobs.insert(aJob('old-finished', { state: 'finished', finishedAt: 100 }));
        await s.jobs.insert(aJob('old-failed', { state: 'failed', finishedAt: 199 }));
        await s.jobs.insert(aJob('old-cancelled', { state: 'cancelled', finishedAt: 50 }));
        await s.jobs.insert(aJob('at-boundary', { state: 'finished', finishedAt: 200 }));
        await s.jobs.insert(aJob('recent', { state: 'finished', finishedAt: 300 }));
        await s.jobs.insert(aJob('cancelled-never-finished', { state: 'cancelled', finishedAt: null }));
        await s.jobs.insert(aJob('running', { state: 'running', finishedAt: 10 }));
        assert.equal(await s.jobs.deleteEndedBefore(200), 3);
        const left = await s.jobs.list({}, 100);
        assert.deepEqual(names(left.items).sort(), [
          'at-boundary',
          'cancelled-never-finished',
          'recent',
          'running',
        ]);
        assert.equal(await s.jobs.deleteEndedBefore(200), 0);
      });

      test('deleteEndedBefore keeps an ended job while one of its tasks is still live on a worker', async () => {
        const survivor = aTask({ name: 't2', state: 'running', workerId: 'w1', coreIds: [0] });
        const ended = aTask({ name: 't1', state: 'failed', workerId: 'w2', coreIds: [1], finishedAt: 50 });
        await s.jobs.insert(
          aJob('failed-with-survivor', { state: 'failed', finishedAt: 60, tasks: [ended, survivor] }),
        );
        await s.jobs.insert(aJob('failed-all-ended', { state: 'failed', finishedAt: 60, tasks: [ended] }));
        assert.equal(await s.jobs.deleteEndedBefore(200), 1);
        assert.deepEqual(names((await s.jobs.list({}, 100)).items), ['failed-with-survivor']);
      });

      test('insertMany inserts new names, leaves existing ones as they are and names them', async () => {
        await s.jobs.insert(aJob('kept', { version: 4 }));
        const many = Array.from({ length: 1203 }, (_, i) =>
          aJob(`ins-${String(i).padStart(4, '0')}`, { state: 'finished', finishedAt: 10, submittedAt: i }),
        );
        const clash = aJob('kept', { state: 'finished', version: 9 });
        assert.deepEqual(await s.jobs.insertMany([...many.slice(0, 600), clash, ...many.slice(600)]), [
          'kept',
        ]);
        assert.deepEqual(await s.jobs.get('kept'), stored(aJob('kept', { version: 4 })));
        assert.deepEqual(await s.jobs.get('ins-1202'), stored(many[1202] as JobRecord));
        assert.equal((await s.jobs.countByState()).finished, 1203);
        assert.deepEqual(await s.jobs.insertMany([clash]), ['kept']);
        assert.deepEqual(await s.jobs.insertMany([]), []);
      });

      test('upsertMany inserts new jobs and overwrites existing ones as given, version included', async () => {
        await s.jobs.insert(aJob('old', { version: 4 }));
        // Unconditional: a lower version than the stored one is stored as given.
        const overwritten = aJob('old', {
          state: 'running',
          version: 3,
          startedAt: 1_500,
          tasks: [aTask({ state: 'running', workerId: 'w1', coreIds: [0, 1] })],
        });
        const fresh = aJob('new', {
          state: 'scheduled',
          version: 7,
          submittedAt: 500,
          tasks: [aTask({ state: 'scheduled', workerId: 'w2', coreIds: [3] })],
        });
        await s.jobs.upsertMany([overwritten, fresh]);
        assert.deepEqual(await s.jobs.get('old'), stored(overwritten));
        assert.deepEqual(await s.jobs.get('new'), stored(fresh));
        assert.equal('command' in ((await s.jobs.get('new'))?.spec.tasks[0] ?? {}), false);
        assert.deepEqual(names(await s.jobs.getMany(['new', 'old'])).sort(), ['new', 'old']);
      });

      test('upserted jobs are read like inserted ones: list, listByStates, countByState, listActiveOnWorker', async () => {
        await s.jobs.insert(aJob('inserted', { submittedAt: 2_000 }));
        await s.jobs.upsertMany([
          aJob('running-w1', {
            state: 'running',
            submittedAt: 1_000,
            tasks: [aTask({ state: 'running', workerId: 'w1', coreIds: [0] })],
          }),
          aJob('scheduled-w2', {
            state: 'scheduled',
            submittedAt: 3_000,
            tasks: [aTask({ state: 'scheduled', workerId: 'w2', coreIds: [1] })],
          }),
        ]);
        assert.deepEqual(names((await s.jobs.list({}, 10)).items), [
          'running-w1',
          'inserted',
          'scheduled-w2',
        ]);
        assert.deepEqual(names((await s.jobs.list({ state: 'scheduled' }, 10)).items), ['scheduled-w2']);
        assert.deepEqual(names(await s.jobs.listByStates(['running', 'scheduled'], 10)), [
          'running-w1',
          'scheduled-w2',
        ]);
        const zeros = Object.fromEntries(JOB_STATES.map((st) => [st, 0]));
        assert.deepEqual(await s.jobs.countByState(), { ...zeros, waiting: 1, running: 1, scheduled: 1 });
        assert.deepEqual(names(await s.jobs.listActiveOnWorker('w1')), ['running-w1']);
        assert.deepEqual(names(await s.jobs.listActiveOnWorker('w2')), ['scheduled-w2']);

        // Overwriting the job with its task ended takes it off the worker and out of `running`.
        await s.jobs.upsertMany([
          aJob('running-w1', {
            state: 'finished',
            submittedAt: 1_000,
            finishedAt: 1_800,
            tasks: [aTask({ state: 'finished', workerId: 'w1', coreIds: [0], exitCode: 0 })],
          }),
        ]);
        assert.deepEqual(await s.jobs.listActiveOnWorker('w1'), []);
        assert.deepEqual(await s.jobs.countByState(), { ...zeros, waiting: 1, finished: 1, scheduled: 1 });
        assert.equal(await s.jobs.deleteEndedBefore(2_000), 1);
      });

      test('upsertMany stores 60 jobs in one call (several commands), and overwrites all 60', async () => {
        const all = numbered('j', 60);
        await s.jobs.upsertMany(all.map((n) => aJob(n)));
        assert.deepEqual(names((await s.jobs.list({}, 100)).items), all);
        await s.jobs.upsertMany(all.map((n) => aJob(n, { state: 'running', version: 2 })));
        const zeros = Object.fromEntries(JOB_STATES.map((st) => [st, 0]));
        assert.deepEqual(await s.jobs.countByState(), { ...zeros, running: 60 });
        assert.deepEqual(await s.jobs.get('j59'), stored(aJob('j59', { state: 'running', version: 2 })));
      });

      test('upsertMany: a name given twice stores the later record; an empty array writes nothing', async () => {
        await s.jobs.upsertMany([aJob('j1', { priority: 1 }), aJob('j1', { priority: 2, version: 5 })]);
        assert.deepEqual(await s.jobs.get('j1'), stored(aJob('j1', { priority: 2, version: 5 })));
        await s.jobs.upsertMany([]);
        assert.deepEqual(names((await s.jobs.list({}, 10)).items), ['j1']);
      });

      test('upsertMany copies: changing the passed records afterwards changes nothing stored', async () => {
        const job = aJob('j1') as { -readonly [K in keyof JobRecord]: JobRecord[K] };
        await s.jobs.upsertMany([job]);
        job.priority = 99;
        assert.equal((await s.jobs.get('j1'))?.priority, 0);
      });
    });

    describe('components', () => {
      const comp = (id: string, name: string, lastSeenAt: number) => ({
        id,
        name,
        version: '1.0.0',
        host: 'h',
        pid: 7,
        startedAt: 1,
        lastSeenAt,
      });

      test('announce upserts by id; list orders by (name, id); remove and deleteSilentBefore delete', async () => {
        await s.components.announce(comp('jm@h:2', 'job-manager', 10));
        await s.components.announce(comp('fe@h:1', 'frontend', 10));
        await s.components.announce(comp('jm@h:1', 'job-manager', 10));
        await s.components.announce(comp('jm@h:2', 'job-manager', 30));
        assert.deepEqual(
          (await s.components.list()).map((c) => `${c.id}@${c.lastSeenAt}`),
          ['fe@h:1@10', 'jm@h:1@10', 'jm@h:2@30'],
        );
        assert.deepEqual((await s.components.list())[0], comp('fe@h:1', 'frontend', 10));
        assert.equal(await s.components.remove('fe@h:1'), true);
        assert.equal(await s.components.remove('fe@h:1'), false);
        assert.equal(await s.components.deleteSilentBefore(30), 1);
        assert.deepEqual(
          (await s.components.list()).map((c) => c.id),
          ['jm@h:2'],
        );
      });
    });

    describe('workers', () => {
      test('a new worker joins ready, version 1, no bookings, joined and heard now', async () => {
        const w = await s.workers.join(aJoin('w1', { now: 500 }));
        const expected: WorkerRecord = {
          id: 'w1',
          state: 'ready',
          runtime: 'simulated',
          coreIds: [0, 1, 2, 3],
          totalMemoryBytes: 8 * 1024 ** 3,
          bookings: [],
          joinedAt: 500,
          lastHeartbeatAt: 500,
          version: 1,
        };
        assert.deepEqual(w, expected);
        assert.deepEqual(await s.workers.get('w1'), expected);
      });

      test('a returning worker: capacity and runtime updated, bookings kept, ready again, version + 1', async () => {
        const first = await s.workers.join(aJoin('w1', { now: 100 }));
        const booking = { job: 'j1', task: 't1', attempt: 0, coreIds: [1], memoryBytes: 1024, bookedAt: 150 };
        assert.equal(await s.workers.replace({ ...first, state: 'lost', bookings: [booking] }, 1), true);
        const back = await s.workers.join(
          aJoin('w1', { now: 900, runtime: 'docker', coreIds: [0, 1], totalMemoryBytes: 2 * 1024 ** 3 }),
        );
        const expected: WorkerRecord = {
          id: 'w1',
          state: 'ready',
          runtime: 'docker',
          coreIds: [0, 1],
          totalMemoryBytes: 2 * 1024 ** 3,
          bookings: [booking],
          joinedAt: 100,
          lastHeartbeatAt: 900,
          version: 3,
        };
        assert.deepEqual(back, expected);
        assert.deepEqual(await s.workers.get('w1'), expected);
      });

      test('a draining worker that rejoins stays draining', async () => {
        const w = await s.workers.join(aJoin('w1'));
        await s.workers.replace({ ...w, state: 'draining' }, 1);
        const back = await s.workers.join(aJoin('w1', { now: 2_000 }));
        assert.equal(back.state, 'draining');
        assert.equal(back.version, 3);
      });

      test('concurrent joins of a new worker both succeed, one after the other', async () => {
        const [a, b] = await Promise.all([
          s.workers.join(aJoin('w1', { now: 10 })),
          s.workers.join(aJoin('w1', { now: 10 })),
        ]);
        assert.deepEqual([a.version, b.version].sort(), [1, 2]);
        assert.equal((await s.workers.get('w1'))?.version, 2);
      });

      test('get of an unknown worker is undefined; list is ordered by id', async () => {
        assert.equal(await s.workers.get('nope'), undefined);
        for (const id of ['w3', 'w1', 'w2']) await s.workers.join(aJoin(id));
        assert.deepEqual(
          (await s.workers.list()).map((w) => w.id),
          ['w1', 'w2', 'w3'],
        );
      });

      test('heartbeat sets lastHeartbeatAt only, and is false for an unknown worker', async () => {
        await s.workers.join(aJoin('w1', { now: 100 }));
        assert.equal(await s.workers.heartbeat('w1', 250), true);
        const w = await s.workers.get('w1');
        assert.equal(w?.lastHeartbeatAt, 250);
        assert.equal(w?.version, 1);
        assert.equal(w?.joinedAt, 100);
        assert.equal(await s.workers.heartbeat('ghost', 250), false);
        assert.equal(await s.workers.get('ghost'), undefined);
      });

      test('replace books on the expected version; stale or missing writes nothing', async () => {
        const w = await s.workers.join(aJoin('w1'));
        const booking = {
          job: 'j1',
          task: 't1',
          attempt: 0,
          coreIds: [0, 1],
          memoryBytes: 2048,
          bookedAt: 5,
        };
        assert.equal(await s.workers.replace({ ...w, bookings: [booking] }, 1), true);
        assert.equal(await s.workers.replace({ ...w, bookings: [] }, 1), false);
        const got = await s.workers.get('w1');
        assert.deepEqual(got?.bookings, [booking]);
        assert.equal(got?.version, 2);
        assert.equal(await s.workers.replace({ ...w, id: 'ghost' }, 1), false);
        assert.equal(await s.workers.get('ghost'), undefined);
      });

      test('two bookers with the same expected version: exactly one wins', async () => {
        const w = await s.workers.join(aJoin('w1'));
        const book = (job: string) => ({
          ...w,
          bookings: [{ job, task: 't1', attempt: 0, coreIds: [0], memoryBytes: 1, bookedAt: 1 }],
        });
        const [a, b] = await Promise.all([
          s.workers.replace(book('ja'), 1),
          s.workers.replace(book('jb'), 1),
        ]);
        assert.equal(Number(a) + Number(b), 1);
        const got = await s.workers.get('w1');
        assert.equal(got?.bookings[0]?.job, a ? 'ja' : 'jb');
        assert.equal(got?.version, 2);
      });

      test('a replace based on a read from before a heartbeat keeps the newer heartbeat', async () => {
        const read = await s.workers.join(aJoin('w1', { now: 100 }));
        await s.workers.heartbeat('w1', 200);
        assert.equal(await s.workers.replace({ ...read, state: 'draining' }, 1), true);
        const got = await s.workers.get('w1');
        assert.equal(got?.lastHeartbeatAt, 200);
        assert.equal(got?.state, 'draining');
        assert.equal(await s.workers.replace({ ...read, lastHeartbeatAt: 300, version: 9 }, 2), true);
        assert.equal((await s.workers.get('w1'))?.lastHeartbeatAt, 300);
      });

      test('remove deletes once', async () => {
        await s.workers.join(aJoin('w1'));
        assert.equal(await s.workers.remove('w1'), true);
        assert.equal(await s.workers.remove('w1'), false);
        assert.equal(await s.workers.get('w1'), undefined);
        assert.deepEqual(await s.workers.list(), []);
      });

      test('upsertMany inserts new workers and overwrites existing ones as given', async () => {
        await s.workers.join(aJoin('w2', { now: 5_000 }));
        const booking = {
          job: 'j1',
          task: 't1',
          attempt: 1,
          coreIds: [2, 3],
          memoryBytes: 4096,
          bookedAt: 4_000,
        };
        // Unconditional: an earlier heartbeat and a different version are stored as given.
        const overwritten = aWorker('w2', {
          state: 'draining',
          runtime: 'docker',
          bookings: [booking],
          joinedAt: 900,
          lastHeartbeatAt: 4_500,
          version: 9,
        });
        const fresh = aWorker('w1', { state: 'lost', coreIds: [0, 1], lastHeartbeatAt: 700, version: 3 });
        await s.workers.upsertMany([overwritten, fresh]);
        assert.deepEqual(await s.workers.get('w2'), stored(overwritten));
        assert.deepEqual(await s.workers.get('w1'), stored(fresh));
        assert.deepEqual(await s.workers.list(), stored([fresh, overwritten]));
        // The other writes still work on an upserted worker (tests only: the ports forbid mixing).
        assert.equal(await s.workers.heartbeat('w1', 800), true);
        assert.equal((await s.workers.get('w1'))?.lastHeartbeatAt, 800);
      });

      test('upsertMany stores 60 workers in one call (several commands), and overwrites all 60', async () => {
        const ids = numbered('w', 60);
        await s.workers.upsertMany(ids.map((id) => aWorker(id)));
        assert.deepEqual(
          (await s.workers.list()).map((w) => w.id),
          ids,
        );
        await s.workers.upsertMany(ids.map((id) => aWorker(id, { state: 'draining', version: 2 })));
        const listed = await s.workers.list();
        assert.equal(listed.length, 60);
        assert.ok(listed.every((w) => w.state === 'draining' && w.version === 2));
        assert.deepEqual(await s.workers.get('w59'), aWorker('w59', { state: 'draining', version: 2 }));
      });

      test('workers upsertMany: an id given twice stores the later record; an empty array writes nothing', async () => {
        await s.workers.upsertMany([
          aWorker('w1', { version: 1 }),
          aWorker('w1', { version: 4, state: 'left' }),
        ]);
        assert.deepEqual(await s.workers.get('w1'), aWorker('w1', { version: 4, state: 'left' }));
        await s.workers.upsertMany([]);
        assert.deepEqual(
          (await s.workers.list()).map((w) => w.id),
          ['w1'],
        );
      });
    });

    describe('settings', () => {
      test('the strategy is unset, then set, then replaced', async () => {
        assert.equal(await s.settings.getStrategy(), undefined);
        await s.settings.setStrategy('first-fit');
        assert.equal(await s.settings.getStrategy(), 'first-fit');
        await s.settings.setStrategy('best-fit-decreasing');
        assert.equal(await s.settings.getStrategy(), 'best-fit-decreasing');
      });

      test('the records watermark is 0, then set, then moved', async () => {
        assert.equal(await s.settings.getRecordsThrough(), 0);
        await s.settings.setRecordsThrough(17);
        assert.equal(await s.settings.getRecordsThrough(), 17);
        await s.settings.setRecordsThrough(40);
        assert.equal(await s.settings.getRecordsThrough(), 40);
        assert.equal(await s.settings.getStrategy(), undefined, 'the strategy is another setting');
      });
    });

    describe('events', () => {
      const ev = (at: number, over: Partial<ClusterEvent> = {}): ClusterEvent => ({
        at,
        kind: 'job-submitted',
        job: 'j1',
        ...over,
      });

      test('append then list: oldest first, optional fields as given', async () => {
        const events: ClusterEvent[] = [
          ev(3, { kind: 'task-state', task: 't1', worker: 'w1', attempt: 0, detail: 'running' }),
          ev(1),
          ev(2, { kind: 'worker-joined', job: undefined, worker: 'w1' }),
        ];
        await s.events.append(events);
        await s.events.append([]);
        assert.deepEqual(await s.events.list({}, 10), stored([events[1], events[2], events[0]]));
      });

      test('events with stable ids: written again (copies, another batch) they are stored once, in id order', async () => {
        const id = (n: number) => `00000001${n.toString(16).padStart(16, '0')}`;
        const first = [ev(5, { id: id(1), job: 'x' }), ev(5, { id: id(2), job: 'x', kind: 'job-scheduled' })];
        await s.events.append(first);
        await s.events.append([
          ...first.map((e) => ({ ...e })),
          ev(6, { id: id(3), job: 'x', kind: 'job-running' }),
        ]);
        assert.deepEqual(
          (await s.events.list({ job: 'x' }, 10)).map((e) => [e.at, e.kind, e.id]),
          [
            [5, 'job-submitted', undefined],
            [5, 'job-scheduled', undefined],
            [6, 'job-running', undefined],
          ],
        );
      });

      test('listAfter: events with a stable id above the given one, by id, with their ids, filtered', async () => {
        const id = (n: number) => `0000000a${n.toString(16).padStart(16, '0')}`;
        await s.events.append([
          ev(7, { id: id(3), job: 'b', kind: 'job-running' }),
          ev(5, { id: id(1), job: 'a' }),
          ev(6, { id: id(2), job: 'b' }),
          ev(8, { id: id(4), job: 'a', kind: 'job-finished' }),
        ]);
        assert.deepEqual(
          (await s.events.listAfter(id(1), {}, 10)).map((e) => [e.id, e.job, e.kind, e.at]),
          [
            [id(2), 'b', 'job-submitted', 6],
            [id(3), 'b', 'job-running', 7],
            [id(4), 'a', 'job-finished', 8],
          ],
        );
        assert.deepEqual(
          (await s.events.listAfter(id(0), {}, 2)).map((e) => e.id),
          [id(1), id(2)],
        );
        assert.deepEqual(
          (await s.events.listAfter(id(0), { job: 'a' }, 10)).map((e) => e.id),
          [id(1), id(4)],
        );
        assert.deepEqual(
          (await s.events.listAfter(id(0), { job: 'b', kind: 'job-running' }, 10)).map((e) => e.id),
          [id(3)],
        );
        assert.deepEqual(await s.events.listAfter(id(4), {}, 10), []);
        assert.deepEqual(await s.events.listAfter('not-an-id', {}, 10), []);
      });

      test('list filters by job, by kind, and by both', async () => {
        await s.events.append([
          ev(1, { job: 'a' }),
          ev(2, { job: 'b' }),
          ev(3, { job: 'a', kind: 'job-failed' }),
          ev(4, { job: undefined, kind: 'job-failed', worker: 'w1' }),
        ]);
        assert.deepEqual(
          (await s.events.list({ job: 'a' }, 10)).map((e) => e.at),
          [1, 3],
        );
        assert.deepEqual(
          (await s.events.list({ kind: 'job-failed' }, 10)).map((e) => e.at),
          [3, 4],
        );
        assert.deepEqual(
          (await s.events.list({ job: 'a', kind: 'job-submitted' }, 10)).map((e) => e.at),
          [1],
        );
      });

      test('list with a limit returns the latest events, oldest first; ties keep append order', async () => {
        await s.events.append([ev(5, { detail: 'x' }), ev(1), ev(5, { detail: 'y' }), ev(3)]);
        await s.events.append([ev(5, { detail: 'z' })]);
        const latest = await s.events.list({}, 3);
        assert.deepEqual(
          latest.map((e) => e.detail),
          ['x', 'y', 'z'],
        );
        assert.deepEqual(
          (await s.events.list({}, 4)).map((e) => e.at),
          [3, 5, 5, 5],
        );
        await assert.rejects(() => s.events.list({}, 0), RangeError);
      });

      test('deleteBefore deletes events strictly before the time', async () => {
        await s.events.append([ev(1), ev(2), ev(3), ev(4)]);
        assert.equal(await s.events.deleteBefore(3), 2);
        assert.deepEqual(
          (await s.events.list({}, 10)).map((e) => e.at),
          [3, 4],
        );
      });
    });

    describe('usage', () => {
      test('range is half-open [from, to), one worker, ascending by time', async () => {
        await s.usage.append([aSample('w1', 30), aSample('w1', 10), aSample('w2', 20), aSample('w1', 20, 3)]);
        await s.usage.append([aSample('w1', 40), aSample('w1', 5)]);
        await s.usage.append([]);
        const got = await s.usage.range('w1', 10, 40);
        assert.deepEqual(got, [aSample('w1', 10), aSample('w1', 20, 3), aSample('w1', 30)]);
        assert.deepEqual(await s.usage.range('w3', 0, 100), []);
        assert.deepEqual(await s.usage.range('w1', 40, 40), []);
      });

      test('range with a limit gives the oldest samples first, no more than asked', async () => {
        await s.usage.append([aSample('w1', 30), aSample('w1', 10), aSample('w2', 5), aSample('w1', 20)]);
        assert.deepEqual(
          (await s.usage.range('w1', 0, 100, 2)).map((u) => u.at),
          [10, 20],
        );
        assert.deepEqual(
          (await s.usage.range('w1', 15, 100, 5)).map((u) => u.at),
          [20, 30],
        );
      });

      test('samples are kept one per append, also at equal times', async () => {
        await s.usage.append([aSample('w1', 10, 1)]);
        await s.usage.append([aSample('w1', 10, 2)]);
        assert.deepEqual(
          (await s.usage.range('w1', 0, 100)).map((u) => u.usedCores),
          [1, 2],
        );
      });

      test('deleteBefore deletes samples strictly before the time, of every worker', async () => {
        await s.usage.append([aSample('w1', 1), aSample('w2', 2), aSample('w1', 3), aSample('w2', 4)]);
        assert.equal(await s.usage.deleteBefore(3), 2);
        assert.deepEqual(
          (await s.usage.range('w1', 0, 10)).map((u) => u.at),
          [3],
        );
        assert.deepEqual(
          (await s.usage.range('w2', 0, 10)).map((u) => u.at),
          [4],
        );
      });
    });
  });
}

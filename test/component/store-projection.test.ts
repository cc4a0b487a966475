/**
 * @module The leader's projection into the system of record: worker records are written in the
 * background (a cycle never waits for them), at most once per interval, in order, and a failed
 * write is repeated with the worker's latest record; `flush` writes what is pending at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlState, StoreProjection } from '../../core/control-state/index.js';
import type { WorkerRecord } from '../../core/model/records.js';
import { createMemoryStores } from '../../core/store/index.js';
import { joinCmd } from '../support/control-state-fixtures.js';

/** Worker records as a state machine makes them; `cores` distinguishes two versions of one. */
function workerRecord(id: string, cores: number): WorkerRecord {
  const s = new ControlState();
  s.apply(joinCmd(id, cores));
  return s.worker(id) as WorkerRecord;
}

/** A promise and its resolver (Node 20 has no Promise.withResolvers). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Memory stores whose worker upserts wait for `release()` and can be made to fail. */
function gatedStores() {
  const stores = createMemoryStores();
  const calls: WorkerRecord[][] = [];
  let gate = deferred();
  let fail = false;
  let held = true;
  const workers = Object.create(stores.workers) as typeof stores.workers;
  workers.upsertMany = async (list) => {
    calls.push([...list]);
    if (held) await gate.promise;
    if (fail) throw new Error('store down');
    await stores.workers.upsertMany(list);
  };
  return {
    stores: { ...stores, workers },
    calls,
    release() {
      gate.resolve();
      gate = deferred();
    },
    /** From now on upserts go through at once. */
    open() {
      held = false;
      gate.resolve();
    },
    setFail(v: boolean) {
      fail = v;
    },
    read: (id: string) => stores.workers.get(id),
  };
}

const empty = { ended: [], events: [] };

test('write() does not wait for worker records; they land in the background', async () => {
  const g = gatedStores();
  const p = new StoreProjection(g.stores, { workersEveryMs: 0 });
  await p.write({ ...empty, workers: [workerRecord('w1', 4)] }); // resolves with the upsert still held
  assert.equal(g.calls.length, 1);
  assert.equal(await g.read('w1'), undefined);
  g.release();
  await p.flush();
  assert.equal((await g.read('w1'))?.coreIds.length, 4);
  p.close();
});

test('one write at a time, in order; changes during a write go in the next one, latest record only', async () => {
  const g = gatedStores();
  const p = new StoreProjection(g.stores, { workersEveryMs: 0 });
  await p.write({ ...empty, workers: [workerRecord('w1', 4)] });
  await p.write({ ...empty, workers: [workerRecord('w1', 8), workerRecord('w2', 2)] });
  await p.write({ ...empty, workers: [workerRecord('w1', 16)] });
  assert.equal(g.calls.length, 1, 'the second write waits for the first');
  g.release();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(g.calls.length, 2);
  assert.deepEqual(
    g.calls[1]?.map((w) => [w.id, w.coreIds.length]),
    [
      ['w1', 16],
      ['w2', 2],
    ],
  );
  g.release();
  await p.flush();
  assert.equal((await g.read('w1'))?.coreIds.length, 16);
  p.close();
});

test('at most once per interval: a change within it is written by the timer, not at once', async () => {
  const g = gatedStores();
  g.open();
  let now = 1_000;
  const p = new StoreProjection(g.stores, { workersEveryMs: 50, now: () => now });
  await p.write({ ...empty, workers: [workerRecord('w1', 4)] });
  await p.flush();
  assert.equal(g.calls.length, 1);
  await p.write({ ...empty, workers: [workerRecord('w1', 8)] });
  await new Promise((r) => setImmediate(r));
  assert.equal(g.calls.length, 1, 'within the interval: not written yet');
  now += 60;
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(g.calls.length, 2, 'the timer wrote it once the interval was up');
  assert.equal((await g.read('w1'))?.coreIds.length, 8);
  p.close();
});

test('a failed write is repeated with the latest record; the failure is reported, never thrown', async () => {
  const g = gatedStores();
  const errors: unknown[] = [];
  const p = new StoreProjection(g.stores, { workersEveryMs: 0, onWorkersError: (e) => errors.push(e) });
  g.setFail(true);
  await p.write({ ...empty, workers: [workerRecord('w1', 4), workerRecord('w2', 2)] });
  await p.write({ ...empty, workers: [workerRecord('w2', 6)] });
  g.release();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
  g.setFail(false);
  g.release();
  await p.flush();
  assert.equal((await g.read('w1'))?.coreIds.length, 4, 'the failed one was written again');
  assert.equal((await g.read('w2'))?.coreIds.length, 6, 'with the newer record, not the failed one');
  p.close();
});

test('after close nothing more is written in the background', async () => {
  const g = gatedStores();
  g.open();
  const p = new StoreProjection(g.stores, { workersEveryMs: 1_000_000 });
  await p.write({ ...empty, workers: [workerRecord('w1', 4)] });
  await p.flush();
  await p.write({ ...empty, workers: [workerRecord('w1', 8)] });
  p.close();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(g.calls.length, 1);
});

/**
 * @module The durable-state contract on MongoDB (FerretDB v1 in CI) at `SERVICES.mongoUrl`, plus
 * what only the MongoDB adapter promises: two clients (as two JobManager processes) racing for
 * the same seqs always leave exactly one winner, its document layout, orphan chunks removed by
 * prune, and round trips per operation. One database per run, dropped at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type Db } from 'mongodb';
import { LogFencedError, openMongoDurableState, type DurableState } from '../../core/durable/index.js';
import {
  controlLogContract,
  entries,
  items,
  readAll,
  shape,
  type Op,
} from '../support/control-log-contract.js';
import { testDatabase } from '../support/services.js';

const run = testDatabase('control_log');
let prefixes = 0;
let lastPrefix = '';

controlLogContract('mongo', {
  open: (options) =>
    openMongoDurableState(run.mongoUrl, { ...options, collectionPrefix: (lastPrefix = `c${++prefixes}`) }),
  reopen: (options) => openMongoDurableState(run.mongoUrl, { ...options, collectionPrefix: lastPrefix }),
});

describe('mongo adapter specifics', () => {
  let admin: MongoClient;
  let db: Db;

  before(async () => {
    admin = await new MongoClient(run.mongoUrl, { serverSelectionTimeoutMS: 5000 }).connect();
    db = admin.db(run.name);
  });
  after(async () => {
    await admin.close();
    await run.drop();
  });

  /** Two stores on separate clients sharing one set of collections, like two processes. */
  async function twoProcesses(prefix: string): Promise<[DurableState, DurableState]> {
    const a = await openMongoDurableState(run.mongoUrl, { collectionPrefix: prefix });
    const b = await openMongoDurableState(run.mongoUrl, { collectionPrefix: prefix });
    return [a, b];
  }

  test('two clients appending at the same seq: exactly one wins, 20 rounds', async () => {
    const [pa, pb] = await twoProcesses('race');
    try {
      let next = 1;
      for (let round = 0; round < 20; round++) {
        const results = await Promise.allSettled([
          pa.log<Op>().append(entries(next, 10, 1, 'a')),
          pb.log<Op>().append(entries(next, 10, 1, 'b')),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled').length;
        assert.equal(won, 1, `round ${round}: ${won} winners`);
        const lost = results.find((r) => r.status === 'rejected');
        assert.ok(lost?.reason instanceof LogFencedError, `round ${round}: ${String(lost?.reason)}`);
        assert.equal(lost.reason.persisted, 0);
        const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
        const written = await readAll(pa.log<Op>(), next - 1);
        assert.deepEqual(
          written.map((r) => (r.kind === 'entry' ? r.payload.by : '?')),
          Array.from({ length: 10 }, () => winner),
          `round ${round}`,
        );
        next += 10;
      }
    } finally {
      await pa.close();
      await pb.close();
    }
  });

  test('two clients claiming terms at the same seq: the higher term ends up leading, 20 rounds', async () => {
    const [pa, pb] = await twoProcesses('claims');
    try {
      let next = 1;
      for (let round = 0; round < 20; round++) {
        const low = 2 * round + 1;
        const high = low + 1;
        const [lowClaim, highClaim] = await Promise.allSettled([
          pa.log<Op>().claimTerm({ term: low, nextSeq: next, leader: 'low', at: round }),
          pb.log<Op>().claimTerm({ term: high, nextSeq: next, leader: 'high', at: round }),
        ]);
        assert.equal(highClaim.status, 'fulfilled', `round ${round}`);
        const records = await readAll(pa.log<Op>(), next - 1);
        if (lowClaim.status === 'fulfilled') {
          // The low claim landed first; the high one learned it and went one past it.
          assert.deepEqual(shape(records), [`${next}:t:${low}:low`, `${next + 1}:t:${high}:high`]);
        } else {
          assert.ok(lowClaim.reason instanceof LogFencedError, String(lowClaim.reason));
          assert.deepEqual(shape(records), [`${next}:t:${high}:high`]);
        }
        next += records.length;
      }
    } finally {
      await pa.close();
      await pb.close();
    }
  });

  test('documents: seq as _id, payload as JSON text, three prefixed collections', async () => {
    const state = await openMongoDurableState(run.mongoUrl, { collectionPrefix: 'layout', maxChunkItems: 2 });
    try {
      await state.log<Op>().append(entries(1, 2, 7));
      await state.snapshots.save({ seq: 2, term: 7, at: 3, items: items(3) });
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      assert.deepEqual(names.filter((n) => n.startsWith('layout_')).sort(), [
        'layout_log',
        'layout_snapshot_chunks',
        'layout_snapshots',
      ]);
      const doc = await db.collection('layout_log').findOne({ _id: 2 as never });
      assert.deepEqual(doc, { _id: 2, term: 7, at: 1002, kind: 'entry', json: '{"by":"a","n":2}' });
      const manifest = await db.collection('layout_snapshots').findOne({});
      assert.equal(manifest?._id, '0000000000000002-0000000007');
      assert.equal(await db.collection('layout_snapshot_chunks').countDocuments(), 2);
    } finally {
      await state.close();
    }
  });

  test('prune removes the chunks of a save that crashed before its manifest', async () => {
    const options = {
      collectionPrefix: 'orphans',
      maxChunkItems: 10,
      beforeManifest: ({ seq }: { seq: number }) => {
        if (seq === 9) throw new Error('simulated crash');
      },
    };
    const state = await openMongoDurableState(run.mongoUrl, options);
    try {
      await state.snapshots.save({ seq: 5, term: 1, at: 1, items: items(30) });
      await assert.rejects(state.snapshots.save({ seq: 9, term: 1, at: 2, items: items(50) }), /crash/);
      const chunks = db.collection('orphans_snapshot_chunks');
      assert.equal(await chunks.countDocuments(), 3 + 5);
      assert.equal((await state.snapshots.latest())?.seq, 5);
      assert.equal(await state.snapshots.prune(), 0);
      assert.equal(await chunks.countDocuments(), 3);
      assert.deepEqual((await state.snapshots.latest())?.items, items(30));
    } finally {
      await state.close();
    }
  });

  test('round trips: one insert per 1,000 entries, one per cursor batch of 2,000 when reading', async () => {
    const state = await openMongoDurableState(run.mongoUrl, { collectionPrefix: 'trips' });
    try {
      const log = state.log<Op>();
      let before = state.roundTrips;
      await log.append(entries(1, 2_500, 1));
      assert.equal(state.roundTrips - before, 3);
      before = state.roundTrips;
      assert.equal((await readAll(log)).length, 2_500);
      assert.equal(state.roundTrips - before, 2);
      before = state.roundTrips;
      assert.equal(await log.truncateThrough(2_000), 2_000);
      assert.equal(state.roundTrips - before, 1);
    } finally {
      await state.close();
    }
  });

  test('an unreachable server fails fast, naming the URL without credentials', async () => {
    await assert.rejects(
      openMongoDurableState('mongodb://alice:s3cret@127.0.0.1:1/rswarm', { serverSelectionTimeoutMs: 300 }),
      (err: Error) => {
        assert.match(err.message, /mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/rswarm/);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      },
    );
  });
});

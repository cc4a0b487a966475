/**
 * @module The storage contract on MongoDB (FerretDB v1 in CI) at `SERVICES.mongoUrl`, plus what
 * only the MongoDB adapter promises: its document layout and a clear start-up failure. One
 * database per run, named after the URL's database plus a random suffix, dropped at the end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { createMongoStores, mongoUrlDatabase } from '../../core/store/index.js';
import { SERVICES } from '../support/services.js';
import { aJob, aSample, aTask, storeContract } from '../support/store-contract.js';

const DB_NAME = `${mongoUrlDatabase(SERVICES.mongoUrl) ?? 'rswarm_test'}_${randomUUID().slice(0, 8)}`;
const COLLECTIONS = ['jobs', 'workers', 'settings', 'events', 'usage', 'components', 'rswarm_locks'];

let admin: MongoClient | undefined;

/** A raw handle on the run's database, for wiping between tests and inspecting documents. */
async function rawDb(): Promise<Db> {
  admin ??= await new MongoClient(SERVICES.mongoUrl, { serverSelectionTimeoutMS: 5000 }).connect();
  return admin.db(DB_NAME);
}

/** Empties every collection (indexes stay), then opens fresh stores on the run's database. */
async function freshStores() {
  const db = await rawDb();
  for (const name of COLLECTIONS) await db.collection(name).deleteMany({});
  return createMongoStores(SERVICES.mongoUrl, { dbName: DB_NAME });
}

async function dropRunDatabase(): Promise<void> {
  const db = await rawDb();
  await db.dropDatabase();
  const left = await admin?.db().admin().listDatabases({ nameOnly: true });
  assert.equal(
    left?.databases.some((d) => d.name === DB_NAME),
    false,
    `${DB_NAME} was not dropped`,
  );
  await admin?.close();
  admin = undefined;
}

storeContract('mongo', freshStores, dropRunDatabase);

describe('mongo adapter specifics', () => {
  before(async () => {
    await rawDb();
  });
  after(async () => {
    // The contract's cleanup may already have run; dropping twice is harmless.
    await (await rawDb()).dropDatabase();
    await admin?.close();
    admin = undefined;
  });

  test('conditional writes stay exclusive under many concurrent writers (FerretDB needs the lock guard)', async () => {
    const stores = await freshStores();
    try {
      for (let round = 0; round < 10; round++) {
        const name = `race-${round}`;
        assert.equal(await stores.jobs.insert(aJob(name)), true);
        const base = (await stores.jobs.get(name))!;
        const wins = await Promise.all(
          Array.from({ length: 8 }, (_, i) => stores.jobs.replace({ ...base, priority: i }, base.version)),
        );
        assert.equal(
          wins.filter(Boolean).length,
          1,
          `round ${round}: ${wins.filter(Boolean).length} writers won`,
        );
        const w = await stores.workers.join({
          id: name,
          runtime: 'simulated',
          coreIds: [0, 1],
          totalMemoryBytes: 1024,
          now: round,
        });
        const workerWins = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            stores.workers.replace({ ...w, totalMemoryBytes: 2048 + i }, w.version),
          ),
        );
        assert.equal(
          workerWins.filter(Boolean).length,
          1,
          `round ${round}: ${workerWins.filter(Boolean).length} worker writers won`,
        );
      }
    } finally {
      await stores.close();
    }
  });

  test('one jobs collection keyed by name, with the denormalised active worker list', async () => {
    const stores = await freshStores();
    try {
      await stores.jobs.insert(aJob('j1', { tasks: [aTask({ workerId: 'w2', state: 'running' })] }));
      await stores.jobs.insert(aJob('j2'));
      const db = await rawDb();
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
      // Only the five known collections: never one per job.
      assert.ok(names.includes('jobs'));
      assert.deepEqual(
        names.filter((n) => !COLLECTIONS.includes(n)),
        [],
      );
      const doc = await db
        .collection<{ _id: string; name: string; activeWorkerIds: string[] }>('jobs')
        .findOne({
          _id: 'j1',
        });
      assert.equal(doc?.name, 'j1');
      assert.deepEqual(doc?.activeWorkerIds, ['w2']);
      assert.equal(await db.collection('jobs').countDocuments(), 2);
    } finally {
      await stores.close();
    }
  });

  test('usage samples are one document each, appended', async () => {
    const stores = await freshStores();
    try {
      await stores.usage.append([aSample('w1', 1), aSample('w1', 2)]);
      await stores.usage.append([aSample('w1', 3)]);
      const db = await rawDb();
      assert.equal(await db.collection('usage').countDocuments({ workerId: 'w1' }), 3);
    } finally {
      await stores.close();
    }
  });

  test('ping answers with the reason once the client is closed', async () => {
    const stores = await freshStores();
    await stores.close();
    assert.notEqual(await stores.ping(), 'ok');
  });

  test('an unreachable server fails creation fast, naming the URL without credentials', async () => {
    const url = 'mongodb://alice:s3cret@127.0.0.1:1/rswarm';
    const started = Date.now();
    await assert.rejects(
      () => createMongoStores(url, { serverSelectionTimeoutMs: 300 }),
      (err: Error) => {
        assert.match(err.message, /mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/rswarm/);
        assert.doesNotMatch(err.message, /s3cret|alice/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });
});

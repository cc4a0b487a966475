/**
 * @module An event append retried after its acknowledgement was lost stores each event once. The
 * leader retries a failed record write with the same event objects; when the server had stored
 * them and died before answering (FerretDB killed -9 mid-write), a plain insert stored every event
 * of the batch twice, so a job "finished" twice in the records. On MongoDB (FerretDB at
 * `SERVICES.mongoUrl`, one database per run) and in memory.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterEvent } from '../../core/model/records.js';
import { MemoryEventStore, createMongoStores } from '../../core/store/index.js';
import type { EventStore } from '../../core/store/store-ports.js';
import { testDatabase } from '../support/services.js';

const db = testDatabase('rswarm_event_retry');
const closers: (() => Promise<void>)[] = [];

after(async () => {
  for (const close of closers) await close();
  await db.drop();
});

const ev = (at: number, job: string, kind: ClusterEvent['kind'] = 'job-finished'): ClusterEvent => ({
  at,
  kind,
  job,
});

const adapters: Record<string, () => Promise<EventStore>> = {
  memory: () => Promise.resolve(new MemoryEventStore()),
  mongo: async () => {
    const stores = await createMongoStores(db.mongoUrl);
    closers.push(() => stores.close());
    await stores.events.deleteBefore(Number.MAX_SAFE_INTEGER);
    return stores.events;
  },
};

for (const [name, open] of Object.entries(adapters)) {
  describe(`event append retries (${name})`, () => {
    test('the same events appended again are stored once, in their first order', async () => {
      const events = await open();
      const batch = [ev(1, 'a'), ev(1, 'b'), ev(2, 'a', 'job-submitted')];
      await events.append(batch);
      await events.append(batch);
      assert.deepEqual(await events.list({}, 100), batch);
    });

    test('a retry carrying new events too stores only the new ones', async () => {
      const events = await open();
      const first = [ev(1, 'a'), ev(2, 'b')];
      await events.append(first);
      const later = ev(3, 'c');
      await events.append([...first, later]);
      assert.deepEqual(await events.list({}, 100), [...first, later]);
    });

    test('equal events that are different occurrences are all stored', async () => {
      const events = await open();
      await events.append([ev(1, 'a'), ev(1, 'a')]);
      await events.append([ev(1, 'a')]);
      assert.equal((await events.list({}, 100)).length, 3);
    });
  });
}

/**
 * @module The job-queue contract on BullMQ/Redis at `SERVICES.redisUrl`, plus what only this
 * adapter promises: a clear start-up failure. Every queue gets a unique name; all of them are
 * obliterated at the end and the test checks that no key is left behind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../../core/log/logger.js';
import { createBullmqJobQueue } from '../../core/queue/index.js';
import { queueContract } from '../support/queue-contract.js';
import { SERVICES, uniqueName } from '../support/services.js';

const created: string[] = [];

async function obliterateAll(): Promise<void> {
  const redis = new Redis(SERVICES.redisUrl, { maxRetriesPerRequest: null });
  try {
    for (const name of created) {
      const queue = new Queue(name, { connection: redis });
      await queue.obliterate({ force: true });
      await queue.close();
      // Obliterate leaves nothing, not even the dedupe keys.
      assert.deepEqual(await redis.keys(`bull:${name}:*`), [], `keys left for ${name}`);
    }
  } finally {
    await redis.quit();
  }
}

queueContract(
  'bullmq',
  async (retry) => {
    const name = uniqueName('rswarm-contract');
    created.push(name);
    return createBullmqJobQueue({ redisUrl: SERVICES.redisUrl, name, logger: silentLogger(), ...retry });
  },
  obliterateAll,
);

describe('bullmq adapter specifics', () => {
  test('an unreachable Redis fails creation fast, naming the URL without credentials', async () => {
    const started = Date.now();
    await assert.rejects(
      () =>
        createBullmqJobQueue({
          redisUrl: 'redis://alice:s3cret@127.0.0.1:1',
          logger: silentLogger(),
          connectTimeoutMs: 300,
        }),
      (err: Error) => {
        assert.match(err.message, /redis:\/\/\*\*\*@127\.0\.0\.1:1/);
        assert.doesNotMatch(err.message, /s3cret|alice/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });
});

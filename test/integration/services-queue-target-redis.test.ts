/**
 * @module The autoscaler's queue-length target on real Redis (`REDIS_URL`; issue 12, item 4;
 * docs/design/services.md). The probe's contract (`LLEN` of a list; a BullMQ queue's waiting,
 * paused, delayed and prioritized jobs, not its active or finished ones; 0 for what does not
 * exist), then the control plane on the real backends, where the leader reads Redis at
 * `backends.redisUrl` itself: items LPUSHed onto a unique list raise the desired replicas and
 * deleting the key lowers them, and the same with jobs in a real BullMQ queue. Every key and
 * queue is unique to the run and removed afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../../core/log/logger.js';
import { RedisQueueLengthProbe } from '../../core/services/redis-queue-length-probe.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { SERVICES, uniqueName } from '../support/services.js';

const PERIOD = 300;

describe('the queue-length target on real Redis', { timeout: 120_000 }, () => {
  let redis: Redis;
  const listKeys: string[] = [];
  const queues: Queue[] = [];
  const newList = (): string => {
    const key = uniqueName('rswarm-test:qt-list');
    listKeys.push(key);
    return key;
  };
  const newQueue = (): Queue => {
    const q = new Queue(uniqueName('rswarm-test-qt'), {
      connection: { url: SERVICES.redisUrl, maxRetriesPerRequest: null },
    });
    queues.push(q);
    return q;
  };

  before(() => {
    redis = new Redis(SERVICES.redisUrl);
  });

  after(async () => {
    if (listKeys.length > 0) await redis.del(...listKeys);
    for (const q of queues) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    redis.disconnect();
  });

  test('the probe: LLEN of a list; waiting, paused, delayed and prioritized BullMQ jobs', async () => {
    const probe = new RedisQueueLengthProbe({ redisUrl: SERVICES.redisUrl, logger: silentLogger() });
    try {
      const key = newList();
      assert.equal(await probe.length({ redisList: key }), 0, 'no key: 0');
      await redis.lpush(key, 'a', 'b', 'c');
      assert.equal(await probe.length({ redisList: key }), 3);
      await redis.del(key);
      assert.equal(await probe.length({ redisList: key }), 0);

      const q = newQueue();
      assert.equal(await probe.length({ bullmqQueue: q.name }), 0, 'no queue: 0');
      await q.add('w', {});
      await q.add('w', {});
      await q.add('d', {}, { delay: 60_000 });
      await q.add('p', {}, { priority: 5 });
      assert.equal(await probe.length({ bullmqQueue: q.name }), 4);
      await q.pause();
      assert.equal(await probe.length({ bullmqQueue: q.name }), 4, 'paused jobs still wait');
      await q.resume();
      await q.obliterate({ force: true });
      assert.equal(await probe.length({ bullmqQueue: q.name }), 0);
    } finally {
      await probe.close();
    }
    await assert.rejects(probe.length({ redisList: 'x' }), /closed/);
  });

  describe('on the control plane with real backends', () => {
    let c: Cluster;

    before(async () => {
      c = await startCluster({
        realBackends: true,
        overrides: { services: { autoscaleTickMs: 50 } },
        workers: [{ workerId: 'qtr-w1', coreIds: [0, 1, 2, 3, 4, 5, 6, 7] }],
      });
      await waitFor('the worker joined', async () =>
        (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
      );
    });

    after(async () => {
      for (const name of ['lister', 'buller'])
        await c?.api('DELETE', `/api/v1/services/${name}`).catch(() => undefined);
      await c?.close();
    });

    const create = async (name: string, queue: Record<string, string>): Promise<void> => {
      const res = await c.api('POST', '/api/v1/services', {
        name,
        image: 'busybox',
        port: 8080,
        cores: 1,
        memory: '16m',
        maxReplicas: 4,
        autoscale: { target: 2, queue, periodMs: PERIOD, maxStep: 4, coolDownMs: 0, downPeriods: 2 },
      });
      assert.equal(res.status, 201, res.text);
    };
    const desiredIs = (name: string, n: number) => async (): Promise<true | undefined> =>
      ((await c.api('GET', `/api/v1/services/${name}`)).body as { desired: number }).desired === n
        ? true
        : undefined;

    test('LPUSH onto a Redis list raises the desired replicas; deleting the key lowers them', async () => {
      const key = newList();
      await create('lister', { redisList: key });
      await redis.lpush(key, ...Array.from({ length: 5 }, (_, i) => `item-${i}`)); // ceil(5 / 2) = 3
      await waitFor('3 desired', desiredIs('lister', 3), 10 * PERIOD);
      await redis.del(key);
      await waitFor('0 desired', desiredIs('lister', 0), 10 * PERIOD);
      await c.api('DELETE', '/api/v1/services/lister');
    });

    test('jobs in a BullMQ queue raise the desired replicas; emptying it lowers them', async () => {
      const q = newQueue();
      await create('buller', { bullmqQueue: q.name });
      await q.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'job', data: { i } }))); // 4
      await waitFor('4 desired', desiredIs('buller', 4), 10 * PERIOD);
      await q.obliterate({ force: true });
      await waitFor('0 desired', desiredIs('buller', 0), 10 * PERIOD);
      await c.api('DELETE', '/api/v1/services/buller');
    });
  });
});

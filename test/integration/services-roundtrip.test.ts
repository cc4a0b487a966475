/**
 * @module A round trip through each real service: a document through the mongodb driver (on
 * FerretDB in CI), a BullMQ job through Redis, a container with a cpuset and a memory limit
 * through dockerode.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { Queue, Worker, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import Docker from 'dockerode';
import { SERVICES, uniqueName } from '../support/services.js';

describe('real services', () => {
  test('MongoDB wire protocol: insert, index, find, update, delete', async () => {
    const client = new MongoClient(SERVICES.mongoUrl, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const coll = client.db().collection<{ _id: string; n: number; tags: string[] }>(uniqueName('roundtrip'));
    try {
      await coll.createIndex({ n: 1 });
      await coll.insertOne({ _id: 'a', n: 1, tags: ['x'] });
      // A conditional write, the primitive the plan applier relies on.
      const hit = await coll.updateOne({ _id: 'a', n: 1 }, { $inc: { n: 1 }, $push: { tags: 'y' } });
      const miss = await coll.updateOne({ _id: 'a', n: 1 }, { $inc: { n: 1 } });
      assert.equal(hit.modifiedCount, 1);
      assert.equal(miss.modifiedCount, 0);
      assert.deepEqual(await coll.findOne({ _id: 'a' }), { _id: 'a', n: 2, tags: ['x', 'y'] });
      await coll.deleteOne({ _id: 'a' });
      assert.equal(await coll.countDocuments(), 0);
    } finally {
      await coll.drop().catch(() => undefined);
      await client.close();
    }
  });

  test('BullMQ job through Redis', async () => {
    const name = uniqueName('roundtrip');
    const connection = { url: SERVICES.redisUrl, maxRetriesPerRequest: null };
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    const worker = new Worker(
      name,
      (job) => Promise.resolve({ doubled: (job.data as { n: number }).n * 2 }),
      { connection },
    );
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 });
      const result = (await job.waitUntilFinished(events, 10_000)) as { doubled: number };
      assert.deepEqual(result, { doubled: 42 });
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      const redis = new Redis(SERVICES.redisUrl);
      assert.equal(await redis.exists(`bull:${name}:meta`), 0);
      redis.disconnect();
    }
  });

  test('a container runs with the cpuset and memory limit it was given', async () => {
    const docker = new Docker();
    const name = uniqueName('rswarm-roundtrip');
    const memory = 64 * 1024 * 1024;
    const script =
      'cat /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null || cat /sys/fs/cgroup/cpuset/cpuset.cpus; ' +
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes';
    const container = await docker.createContainer({
      name,
      Image: SERVICES.testImage,
      Cmd: ['sh', '-c', script],
      Labels: { 'rswarm.test': 'roundtrip' },
      HostConfig: { CpusetCpus: '0', Memory: memory, MemorySwap: memory },
    });
    try {
      await container.start();
      const exit = (await container.wait()) as { StatusCode: number };
      assert.equal(exit.StatusCode, 0);
      const info = await container.inspect();
      assert.equal(info.HostConfig.CpusetCpus, '0');
      assert.equal(info.HostConfig.Memory, memory);
      const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
      // The engine's multiplexed log stream prefixes frames with 8 header bytes; read the digits.
      const lines = logs
        .split('\n')
        .map((l) => l.replace(/[^0-9-]/g, ''))
        .filter(Boolean);
      assert.deepEqual(lines, ['0', String(memory)], `cgroup files said: ${JSON.stringify(logs)}`);
    } finally {
      await container.remove({ force: true });
    }
  });
});

import { randomUUID } from 'node:crypto';

/**
 * Where the real services are. Each test reads these so a user can point the suite at their own
 * servers; the defaults are what scripts/test-services.sh starts on loopback.
 */
export const SERVICES = Object.freeze({
  mongoUrl: process.env['MONGO_URL'] || 'mongodb://127.0.0.1:27017/rswarm_test',
  redisUrl: process.env['REDIS_URL'] || 'redis://127.0.0.1:6379',
  /** Empty: dockerode reads DOCKER_HOST itself, or uses the local socket. */
  dockerHost: process.env['DOCKER_HOST'] || '',
  /** An image present without a registry; built by scripts/test-services.sh. */
  testImage: process.env['RSWARM_TEST_IMAGE'] || 'rswarm/busybox:latest',
});

/** A name no other test run uses, for collections, queues and containers. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** `server` (default `SERVICES.mongoUrl`) with its database replaced by `db` (query options kept). */
export function mongoUrlFor(db: string, server: string = SERVICES.mongoUrl): string {
  return server.replace(/\/([^/?]*)(\?|$)/, `/${db}$2`);
}

/** Deletes a test queue's keys from Redis (`bull:<name>:*`). */
export async function dropQueueKeys(queueName: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(SERVICES.redisUrl);
  try {
    const keys = await redis.keys(`bull:${queueName}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Drops a test database (errors ignored: it may never have been created). */
export async function dropTestDatabase(mongoUrl: string): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(mongoUrl);
  try {
    await client
      .db()
      .dropDatabase()
      .catch(() => undefined);
  } finally {
    await client.close();
  }
}

/**
 * A per-run database and queue name for one test file: `mongoUrl` points at the database named
 * `name`, and `drop()` removes both the database and the queue's Redis keys.
 */
export function testDatabase(prefix: string): { name: string; mongoUrl: string; drop(): Promise<void> } {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  const mongoUrl = mongoUrlFor(name);
  return {
    name,
    mongoUrl,
    async drop() {
      await dropTestDatabase(mongoUrl);
      await dropQueueKeys(name);
    },
  };
}

/**
 * Force-removes a container a test created, tolerating that its worker removes it at the same
 * moment (Docker answers 404 when it is gone, 409 while that removal is in progress): cleanup
 * must not fail, or its cluster stays open.
 */
export async function removeContainerIfPresent(container: {
  remove(options: { force: boolean }): Promise<unknown>;
}): Promise<void> {
  await container.remove({ force: true }).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
  });
}

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

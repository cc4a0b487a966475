/**
 * @module The leader lease on Redis at `SERVICES.redisUrl`: the shared contract
 * (test/support/leader-lease-contract.ts) in real time, then LeaseKeepers on real Redis: crash
 * and graceful take-over, valor on hand-over, and a leader that loses its connection stopping
 * before Redis lets its lease go. Every lease gets a unique name; all their keys are deleted at
 * the end and the test checks that none is left.
 */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { silentLogger } from '../../core/log/logger.js';
import {
  LeaseKeeper,
  createRedisLeaderLease,
  leaseKeys,
  type LeaderLease,
  type LeaseKeeperOptions,
} from '../../core/lease/index.js';
import { CONTRACT_TTL_MS, leaderLeaseContract, waitFor } from '../support/leader-lease-contract.js';
import { SERVICES, uniqueName } from '../support/services.js';

const names: string[] = [];

function leaseName(): string {
  const name = uniqueName('rswarm-lease-test');
  names.push(name);
  return name;
}

async function dropAll(): Promise<void> {
  const redis = new Redis(SERVICES.redisUrl);
  try {
    for (const name of names) {
      const pattern = `rswarm:lease:{${name}}:*`;
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
      assert.deepEqual(await redis.keys(pattern), [], `keys left for ${name}`);
    }
  } finally {
    await redis.quit();
  }
}

leaderLeaseContract(
  'redis',
  () => {
    const name = leaseName();
    return Promise.resolve({
      lease: (candidate, opts) =>
        createRedisLeaderLease({
          redisUrl: SERVICES.redisUrl,
          name,
          candidate,
          ttlMs: CONTRACT_TTL_MS,
          logger: silentLogger(),
          ...opts,
        }),
      elapse: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
    });
  },
  dropAll,
);

const TTL = 1200;
const POLL = 400; // renew and poll: the default, a third of the TTL
const MARGIN = 120; // the default, a tenth of the TTL
/** Scheduling and round trips on a busy test machine. */
const SLACK = 300;

/** A lease whose process can be made to vanish: after `crash()` every call fails. */
function crashable(inner: LeaderLease): { lease: LeaderLease; crash(): void } {
  let crashed = false;
  const gate = <T>(call: () => Promise<T>): Promise<T> =>
    crashed ? Promise.reject(new Error('process crashed')) : call();
  return {
    crash: () => {
      crashed = true;
    },
    lease: {
      candidate: inner.candidate,
      ttlMs: inner.ttlMs,
      campaign: () => gate(() => inner.campaign()),
      renew: (t) => gate(() => inner.renew(t)),
      release: (t) => gate(() => inner.release(t)),
      current: () => gate(() => inner.current()),
      onReleased: (l) => inner.onReleased(() => (crashed ? undefined : l())),
      close: () => inner.close(),
    },
  };
}

describe('LeaseKeeper on Redis', () => {
  let keepers: LeaseKeeper[] = [];
  let leases: LeaderLease[] = [];
  let clients: Redis[] = [];
  /** Every keeper's events, in order: `<id> elected <token>`, `<id> deposed <reason> <token>`. */
  let log: string[] = [];

  const lease = async (name: string, id: string, valor: number, redis?: Redis): Promise<LeaderLease> => {
    const common = { name, candidate: { id, valor }, ttlMs: TTL, logger: silentLogger() };
    const l = await createRedisLeaderLease(
      redis ? { ...common, redis } : { ...common, redisUrl: SERVICES.redisUrl },
    );
    leases.push(l);
    return l;
  };

  const keeper = (l: LeaderLease, opts: Partial<LeaseKeeperOptions> = {}): LeaseKeeper => {
    const k = new LeaseKeeper({ logger: silentLogger(), ...opts, lease: l });
    const id = l.candidate.id;
    k.on('elected', (token) => log.push(`${id} elected ${token}`));
    k.on('deposed', (reason, token) => log.push(`${id} deposed ${reason} ${token}`));
    keepers.push(k);
    return k;
  };

  afterEach(async () => {
    for (const k of keepers) await k.close();
    for (const l of leases) await l.close();
    for (const c of clients) c.disconnect();
    keepers = [];
    leases = [];
    clients = [];
    log = [];
  });
  after(dropAll);

  test('the leader crashes: the standby leads within TTL + one poll, never both at once', async () => {
    const name = leaseName();
    const a = crashable(await lease(name, 'a', 2));
    const ka = keeper(a.lease);
    const kb = keeper(await lease(name, 'b', 1));
    await ka.run();
    await kb.run();
    assert.equal(ka.isLeader(), true);
    assert.equal(kb.isLeader(), false);
    const crashedAt = Date.now();
    a.crash();
    await waitFor(
      'b to lead',
      () => {
        assert.ok(!(ka.isLeader() && kb.isLeader()), 'two leaders at once');
        return kb.isLeader();
      },
      TTL + POLL + 5 * SLACK,
    );
    const took = Date.now() - crashedAt;
    assert.ok(took <= TTL + POLL + SLACK, `b led ${took} ms after the crash`);
    assert.deepEqual(log, ['a elected 1', 'a deposed expired 1', 'b elected 2']);
  });

  test('a graceful close hands over through the release channel, without waiting a poll', async () => {
    const name = leaseName();
    const ka = keeper(await lease(name, 'a', 1));
    // A poll this long means only the release notification can wake b in time.
    const kb = keeper(await lease(name, 'b', 1), { pollIntervalMs: 60_000 });
    await ka.run();
    await kb.run();
    const closedAt = Date.now();
    await ka.close();
    await waitFor('b to lead', () => kb.isLeader(), 2_000);
    assert.ok(Date.now() - closedAt < POLL, 'hand-over took a poll interval or more');
    assert.deepEqual(log, ['a elected 1', 'a deposed closed 1', 'b elected 2']);
  });

  test('on hand-over the higher-valor standby leads, whichever standby campaigns first', async () => {
    const name = leaseName();
    const old = keeper(await lease(name, 'old', 0));
    const low = keeper(await lease(name, 'low', 1), { pollIntervalMs: 100 });
    const high = keeper(await lease(name, 'high', 9), { pollIntervalMs: 100 });
    await old.run();
    await low.run();
    await high.run();
    await old.close();
    await waitFor('high to lead', () => high.isLeader());
    // Several more polls of low: it must stay a standby.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(low.isLeader(), false);
    assert.deepEqual(log, ['old elected 1', 'old deposed closed 1', 'high elected 2']);
  });

  test('a leader whose Redis connection drops stops leading before Redis lets the lease go', async () => {
    const name = leaseName();
    const client = new Redis(SERVICES.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: POLL,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    const k = keeper(await lease(name, 'a', 1, client));
    const observer = new Redis(SERVICES.redisUrl);
    clients.push(observer);
    await k.run();
    assert.equal(k.isLeader(), true);
    // Let a renewal or two succeed first.
    await waitFor(
      'a renewal',
      () => k.validUntil! > Date.now() + TTL - MARGIN - POLL / 2 && log.length === 1,
    );
    // Read and cut in one tick: no renewal reply can land in between.
    const validUntil = k.validUntil!;
    const cutAt = Date.now();
    client.disconnect();
    assert.ok(validUntil - cutAt <= TTL - MARGIN);
    await waitFor('a to step down', () => !k.isLeader(), TTL);
    const stoppedAt = Date.now();
    const pttl = await observer.pttl(leaseKeys(name).holder);
    assert.ok(pttl > 0, `the lease was already gone from Redis (PTTL ${pttl})`);
    assert.ok(stoppedAt >= validUntil, `stopped ${validUntil - stoppedAt} ms before validUntil`);
    assert.ok(stoppedAt <= validUntil + SLACK, `stopped ${stoppedAt - validUntil} ms after validUntil`);
    assert.deepEqual(log, ['a elected 1', 'a deposed expired 1']);
    await waitFor(
      'the lease to expire in Redis',
      async () => (await observer.exists(leaseKeys(name).holder)) === 0,
    );
  });

  test('an unreachable Redis fails creation fast, naming the URL without credentials', async () => {
    const started = Date.now();
    await assert.rejects(
      () =>
        createRedisLeaderLease({
          redisUrl: 'redis://alice:s3cret@127.0.0.1:1',
          name: 'never',
          candidate: { id: 'a', valor: 1 },
          ttlMs: TTL,
          logger: silentLogger(),
        }),
      (err: Error) => {
        assert.match(err.message, /redis:\/\/\*\*\*@127\.0\.0\.1:1/);
        assert.doesNotMatch(err.message, /s3cret|alice/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000);
  });
});

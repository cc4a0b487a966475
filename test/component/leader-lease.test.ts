/**
 * @module The leader lease in memory on a FakeClock: the shared contract
 * (test/support/leader-lease-contract.ts), then the LeaseKeeper on top of it: renewal, the local
 * validity deadline, valor on hand-over, graceful and crash take-over, lifecycle.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { silentLogger } from '../../core/log/logger.js';
import {
  LeaseKeeper,
  MemoryLeaseBackend,
  type LeaderLease,
  type LeaseKeeperOptions,
  type PartitionMode,
} from '../../core/lease/index.js';
import { CONTRACT_TTL_MS, leaderLeaseContract } from '../support/leader-lease-contract.js';

leaderLeaseContract('memory', () => {
  const clock = new FakeClock(1_000_000);
  const backend = new MemoryLeaseBackend(clock);
  return Promise.resolve({
    lease: (candidate, opts) =>
      Promise.resolve(backend.lease({ candidate, ttlMs: CONTRACT_TTL_MS, ...opts })),
    elapse: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  });
});

const TTL = 900;
const INTERVAL = 300; // renew and poll: the default, a third of the TTL
const MARGIN = 90; // the default, a tenth of the TTL
const START = 1_000_000;

/** Lets every promise chain the last clock move started run to its end. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LeaseKeeper on the in-memory lease', () => {
  let clock: FakeClock;
  let backend: MemoryLeaseBackend;
  let keepers: LeaseKeeper[] = [];
  let leases: LeaderLease[] = [];
  /** Every keeper's events, in order: `<id> elected <token>`, `<id> deposed <reason> <token>`. */
  let log: string[] = [];

  const setup = (): void => {
    clock = new FakeClock(START);
    backend = new MemoryLeaseBackend(clock);
  };

  const keeper = (id: string, valor: number, opts: Partial<LeaseKeeperOptions> = {}): LeaseKeeper => {
    const lease = opts.lease ?? backend.lease({ candidate: { id, valor }, ttlMs: TTL });
    leases.push(lease);
    const k = new LeaseKeeper({ clock, logger: silentLogger(), ...opts, lease });
    k.on('elected', (token) => log.push(`${id} elected ${token}`));
    k.on('deposed', (reason, token) => log.push(`${id} deposed ${reason} ${token}`));
    keepers.push(k);
    return k;
  };

  /** Moves the clock `ms` forward in `step` ms steps, settling after each; `each` checks. */
  const advance = async (ms: number, step = 10, each?: () => void): Promise<void> => {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      await flush();
      each?.();
    }
  };

  afterEach(async () => {
    for (const k of keepers) await k.close();
    for (const l of leases) await l.close();
    keepers = [];
    leases = [];
    log = [];
  });

  test('a lone keeper is elected on run and keeps its term over many TTLs by renewing', async () => {
    setup();
    const k = keeper('a', 1);
    assert.equal(k.isLeader(), false);
    await k.run();
    assert.equal(k.isLeader(), true);
    assert.equal(k.token, 1);
    assert.equal(k.validUntil, START + TTL - MARGIN);
    await advance(10 * TTL, 10, () => assert.equal(k.isLeader(), true, `not leader at ${clock.now()}`));
    assert.equal(k.token, 1);
    assert.deepEqual(log, ['a elected 1']);
  });

  for (const mode of ['reject', 'hang'] satisfies PartitionMode[]) {
    test(`cut off from the store (${mode}), the leader stops at last renewal start + TTL - margin, before the lease expires`, async () => {
      setup();
      const k = keeper('a', 1);
      await k.run();
      await advance(INTERVAL); // the renewal at START + 300 succeeds
      const deadline = START + INTERVAL + TTL - MARGIN;
      assert.equal(k.validUntil, deadline);
      backend.partition('a', mode);
      await advance(deadline - 1 - clock.now(), 1);
      assert.equal(k.isLeader(), true);
      assert.deepEqual(log, ['a elected 1']);
      clock.advance(1);
      // Before any timer callback ran: isLeader() reads the clock itself.
      assert.equal(k.isLeader(), false);
      await flush();
      assert.equal(k.token, undefined);
      assert.deepEqual(log, ['a elected 1', 'a deposed expired 1']);
      // The store still holds the lease for a while: the keeper stopped first.
      const observer = backend.lease({ candidate: { id: 'observer', valor: 0 }, ttlMs: TTL });
      leases.push(observer);
      assert.equal((await observer.current())?.token, 1);
      backend.heal('a');
    });
  }

  test('the deadline counts from when a renewal started, not from when it answered', async () => {
    setup();
    const inner = backend.lease({ candidate: { id: 'a', valor: 1 }, ttlMs: TTL });
    leases.push(inner);
    const SLOW = 200;
    const slow: LeaderLease = {
      candidate: inner.candidate,
      ttlMs: inner.ttlMs,
      campaign: () => inner.campaign(),
      renew: async (t) => {
        const renewed = await inner.renew(t);
        await clock.sleep(SLOW); // the answer is slow to come back
        return renewed;
      },
      release: (t) => inner.release(t),
      current: () => inner.current(),
      onReleased: (l) => inner.onReleased(l),
      close: () => inner.close(),
    };
    const k = keeper('a', 1, { lease: slow });
    await k.run();
    await advance(INTERVAL + SLOW);
    assert.equal(k.validUntil, START + INTERVAL + TTL - MARGIN);
  });

  test('a renewal the store refuses deposes at once (lost); the next campaign gets a new token', async () => {
    setup();
    const k = keeper('a', 1);
    await k.run();
    backend.expire();
    await advance(INTERVAL);
    assert.equal(k.isLeader(), false);
    assert.deepEqual(log, ['a elected 1', 'a deposed lost 1']);
    await advance(INTERVAL);
    assert.equal(k.token, 2);
    assert.deepEqual(log, ['a elected 1', 'a deposed lost 1', 'a elected 2']);
  });

  test('a leader keeps its term when a candidate of higher valor arrives (no flapping)', async () => {
    setup();
    const low = keeper('low', 1);
    const high = keeper('high', 9);
    await low.run();
    await advance(INTERVAL / 2);
    await high.run();
    await advance(10 * TTL, 10, () => assert.equal(low.isLeader() && !high.isLeader(), true));
    assert.deepEqual(log, ['low elected 1']);
  });

  const handOverCases = [
    { name: 'lower valor polls first', order: ['low', 'high'] },
    { name: 'higher valor polls first', order: ['high', 'low'] },
  ];
  for (const c of handOverCases) {
    for (const exit of ['close', 'crash'] as const) {
      test(`when the leader ${exit === 'close' ? 'closes' : 'crashes'}, the higher-valor standby takes over (${c.name})`, async () => {
        setup();
        const old = keeper('old', 0);
        await old.run();
        const standbys = new Map<string, LeaseKeeper>();
        for (const id of c.order) {
          const k = keeper(id, id === 'high' ? 9 : 1);
          standbys.set(id, k);
          await k.run();
          await advance(20);
        }
        if (exit === 'close') await old.close();
        else backend.partition('old', 'reject');
        await advance(2 * TTL, 10, () =>
          assert.ok([...keepers].filter((k) => k.isLeader()).length <= 1, 'two leaders at once'),
        );
        assert.equal(standbys.get('high')!.isLeader(), true);
        assert.deepEqual(log, [
          'old elected 1',
          `old deposed ${exit === 'close' ? 'closed' : 'expired'} 1`,
          'high elected 2',
        ]);
      });
    }
  }

  test('close() hands over at once: deposed first, then the standby is elected without waiting a poll', async () => {
    setup();
    const a = keeper('a', 5);
    const b = keeper('b', 1);
    await a.run();
    await b.run();
    await a.close();
    await flush();
    assert.equal(b.isLeader(), true);
    assert.equal(clock.now(), START, 'the clock did not move: the release woke b');
    assert.deepEqual(log, ['a elected 1', 'a deposed closed 1', 'b elected 2']);
  });

  test('a crashed leader is replaced within TTL + one poll, and two keepers never lead at once', async () => {
    setup();
    const a = keeper('a', 5);
    const b = keeper('b', 1);
    await a.run();
    await b.run();
    await advance(2 * TTL + 50);
    const crashedAt = clock.now();
    backend.partition('a', 'hang');
    let bElectedAt: number | undefined;
    await advance(3 * TTL, 5, () => {
      assert.ok(!(a.isLeader() && b.isLeader()), `two leaders at ${clock.now()}`);
      if (bElectedAt === undefined && b.isLeader()) bElectedAt = clock.now();
    });
    assert.ok(bElectedAt !== undefined, 'b was never elected');
    assert.ok(
      bElectedAt <= crashedAt + TTL + INTERVAL,
      `b elected ${bElectedAt - crashedAt} ms after the crash`,
    );
    assert.equal(b.token, 2);
    backend.heal('a');
  });

  test('a standby that closes withdraws, so it does not block a lower-valor standby', async () => {
    setup();
    const leader = keeper('leader', 0);
    const high = keeper('high', 9);
    const low = keeper('low', 1);
    for (const k of [leader, high, low]) await k.run();
    await high.close();
    await leader.close();
    await flush();
    assert.equal(low.isLeader(), true);
    assert.equal(clock.now(), START);
  });

  test('lifecycle: created, running, closing, closed; no calls and no timers after close', async () => {
    setup();
    const inner = backend.lease({ candidate: { id: 'a', valor: 1 }, ttlMs: TTL });
    const calls: string[] = [];
    const counted: LeaderLease = {
      candidate: inner.candidate,
      ttlMs: inner.ttlMs,
      campaign: () => (calls.push('campaign'), inner.campaign()),
      renew: (t) => (calls.push('renew'), inner.renew(t)),
      release: (t) => (calls.push('release'), inner.release(t)),
      current: () => inner.current(),
      onReleased: (l) => inner.onReleased(l),
      close: () => inner.close(),
    };
    leases.push(inner);
    const k = keeper('a', 1, { lease: counted });
    assert.equal(k.getState(), 'created');
    await k.run();
    assert.equal(k.getState(), 'running');
    await assert.rejects(() => k.run(), /state running/);
    await advance(INTERVAL * 2);
    assert.deepEqual(calls, ['campaign', 'renew', 'renew']);
    const closing = k.close();
    assert.equal(k.getState(), 'closing');
    assert.equal(k.close(), closing, 'close() is idempotent');
    await closing;
    assert.equal(k.getState(), 'closed');
    assert.equal(k.isLeader(), false);
    assert.deepEqual(calls, ['campaign', 'renew', 'renew', 'release']);
    await advance(5 * TTL, 50);
    assert.equal(calls.length, 4, 'a timer survived close()');
    assert.equal(await inner.current(), undefined);
  });

  test('closing a keeper that never ran touches nothing', async () => {
    setup();
    const k = keeper('a', 1);
    await k.close();
    assert.equal(k.getState(), 'closed');
    await assert.rejects(() => k.run(), /state closed/);
  });

  test('a listener that throws is logged; the keeper and the other listeners go on', async () => {
    setup();
    const k = keeper('a', 1);
    k.on('elected', () => {
      throw new Error('listener bug');
    });
    const seen: number[] = [];
    const off = k.on('elected', (t) => seen.push(t));
    await k.run();
    assert.deepEqual(seen, [1]);
    assert.equal(k.isLeader(), true);
    off();
  });

  const badOptions: { name: string; opts: Partial<LeaseKeeperOptions> }[] = [
    { name: 'renewal after the deadline', opts: { renewIntervalMs: TTL - MARGIN } },
    { name: 'a margin as long as the TTL', opts: { safetyMarginMs: TTL } },
    { name: 'a zero poll interval', opts: { pollIntervalMs: 0 } },
  ];
  for (const c of badOptions) {
    test(`rejects intervals that cannot keep the lease: ${c.name}`, () => {
      setup();
      const lease = backend.lease({ candidate: { id: 'a', valor: 1 }, ttlMs: TTL });
      assert.throws(() => new LeaseKeeper({ lease, clock, logger: silentLogger(), ...c.opts }));
    });
  }
});

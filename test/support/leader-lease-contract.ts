/**
 * @module The leader-lease contract: one suite every adapter of core/lease/leader-lease.ts must
 * pass. test/component/leader-lease.test.ts runs it in memory on a FakeClock, and
 * test/integration/redis-leader-lease.test.ts on Redis in real time.
 */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CampaignResult, LeaderLease, LeaseCandidate } from '../../core/lease/leader-lease.js';

/** The lease TTL the contract runs with. */
export const CONTRACT_TTL_MS = 1000;
/** Comfortably past a TTL, so real-time adapters have surely expired the lease. */
const PAST_TTL_MS = CONTRACT_TTL_MS + 200;
/** Well inside a TTL: a lease renewed this long ago is certainly still held. */
const INSIDE_TTL_MS = Math.round(CONTRACT_TTL_MS * 0.6);

/** One lease, shared by every candidate a test makes from it. */
export interface LeaseCluster {
  /** A handle for `candidate` on this cluster's lease, with the contract TTL. */
  lease(candidate: LeaseCandidate, opts?: { readonly candidacyMs?: number }): Promise<LeaderLease>;
  /** Lets `ms` of lease time pass: advances a fake clock, or waits in real time. */
  elapse(ms: number): Promise<void>;
}

/** Polls `check` until it holds, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The token of a `held` result; fails the test on any other outcome. */
export function heldToken(result: CampaignResult): number {
  assert.equal(result.outcome, 'held', `expected to hold the lease, got ${JSON.stringify(result)}`);
  return (result as { token: number }).token;
}

/**
 * Registers the leader-lease contract suite for one adapter.
 *
 * @param name - adapter name, shown in the suite title.
 * @param makeCluster - a fresh lease nobody holds, with {@link CONTRACT_TTL_MS}.
 * @param cleanup - runs once after the suite (delete Redis keys, say).
 */
export function leaderLeaseContract(
  name: string,
  makeCluster: () => Promise<LeaseCluster>,
  cleanup?: () => Promise<void>,
): void {
  describe(`leader lease contract: ${name}`, () => {
    let open: LeaderLease[] = [];
    let cluster: LeaseCluster;
    const fresh = async (): Promise<void> => {
      cluster = await makeCluster();
    };
    const lease = async (id: string, valor: number, candidacyMs?: number): Promise<LeaderLease> => {
      const l = await cluster.lease({ id, valor }, candidacyMs === undefined ? {} : { candidacyMs });
      open.push(l);
      return l;
    };
    afterEach(async () => {
      for (const l of open) await l.close();
      open = [];
    });
    if (cleanup) after(cleanup);

    test('a free lease goes to the first candidate, who is then the current holder', async () => {
      await fresh();
      const a = await lease('a', 1);
      assert.equal(await a.current(), undefined);
      const token = heldToken(await a.campaign());
      assert.ok(Number.isSafeInteger(token) && token >= 1);
      assert.deepEqual(await a.current(), { id: 'a', valor: 1, token });
    });

    for (const valor of [0, 1, 7]) {
      test(`while held, a candidate of valor ${valor} sees the holder and the holder keeps it`, async () => {
        await fresh();
        const a = await lease('a', 1);
        const b = await lease('b', valor);
        const token = heldToken(await a.campaign());
        assert.deepEqual(await b.campaign(), { outcome: 'taken', leader: { id: 'a', valor: 1, token } });
        assert.equal(await a.renew(token), true);
        assert.deepEqual(await b.current(), { id: 'a', valor: 1, token });
      });
    }

    test('the holder campaigning again keeps its token and extends the lease', async () => {
      await fresh();
      const a = await lease('a', 1);
      const token = heldToken(await a.campaign());
      await cluster.elapse(INSIDE_TTL_MS);
      assert.equal(heldToken(await a.campaign()), token);
      await cluster.elapse(INSIDE_TTL_MS);
      assert.deepEqual(await a.current(), { id: 'a', valor: 1, token });
    });

    test('renew extends the lease by a full TTL; a wrong token or another candidate is refused', async () => {
      await fresh();
      const a = await lease('a', 1);
      const b = await lease('b', 1);
      const token = heldToken(await a.campaign());
      await cluster.elapse(INSIDE_TTL_MS);
      assert.equal(await a.renew(token), true);
      assert.equal(await a.renew(token + 1), false);
      assert.equal(await b.renew(token), false);
      await cluster.elapse(INSIDE_TTL_MS);
      assert.deepEqual(await a.current(), { id: 'a', valor: 1, token });
    });

    test('without renewal the lease expires; renew and release after expiry fail', async () => {
      await fresh();
      const a = await lease('a', 1);
      const token = heldToken(await a.campaign());
      await cluster.elapse(PAST_TTL_MS);
      assert.equal(await a.current(), undefined);
      assert.equal(await a.renew(token), false);
      assert.equal(await a.release(token), false);
      assert.equal(await a.current(), undefined);
    });

    test('tokens strictly increase across acquisitions, never reused after an expiry', async () => {
      await fresh();
      const a = await lease('a', 1);
      const b = await lease('b', 1);
      const tokens: number[] = [];
      tokens.push(heldToken(await a.campaign()));
      await cluster.elapse(PAST_TTL_MS);
      // The same candidate after its lease expired: a new acquisition, so a new token.
      tokens.push(heldToken(await a.campaign()));
      assert.equal(await a.release(tokens[1]), true);
      tokens.push(heldToken(await b.campaign()));
      await cluster.elapse(PAST_TTL_MS);
      tokens.push(heldToken(await a.campaign()));
      for (let i = 1; i < tokens.length; i++)
        assert.ok(tokens[i]! > tokens[i - 1]!, `tokens not increasing: ${tokens.join(', ')}`);
    });

    const valorCases: { name: string; candidates: LeaseCandidate[]; winner: string }[] = [
      {
        name: 'the highest valor',
        candidates: [
          { id: 'a', valor: 1 },
          { id: 'c', valor: 2 },
          { id: 'b', valor: 3 },
        ],
        winner: 'b',
      },
      {
        name: 'on equal valor, the lowest id',
        candidates: [
          { id: 'm', valor: 2 },
          { id: 'z', valor: 2 },
          { id: 'k', valor: 2 },
        ],
        winner: 'k',
      },
      {
        name: 'negative valors: the highest',
        candidates: [
          { id: 'a', valor: -5 },
          { id: 'b', valor: -1 },
        ],
        winner: 'b',
      },
      {
        name: 'ids compared byte by byte (upper case before lower case)',
        candidates: [
          { id: 'node-a', valor: 4 },
          { id: 'node-B', valor: 4 },
        ],
        winner: 'node-B',
      },
    ];
    for (const c of valorCases) {
      test(`a free lease goes to the best live candidate (${c.name}), whoever campaigns first`, async () => {
        await fresh();
        const holder = await lease('holder', 100);
        const holderToken = heldToken(await holder.campaign());
        const candidates = new Map<string, LeaderLease>();
        for (const cand of c.candidates) {
          const l = await lease(cand.id, cand.valor);
          candidates.set(cand.id, l);
          assert.equal((await l.campaign()).outcome, 'taken');
        }
        assert.equal(await holder.release(holderToken), true);
        const winner = c.candidates.find((x) => x.id === c.winner)!;
        // The others campaign first, and are told who the lease is waiting for.
        for (const cand of c.candidates.filter((x) => x.id !== c.winner)) {
          assert.deepEqual(await candidates.get(cand.id)!.campaign(), {
            outcome: 'deferred',
            preferred: winner,
          });
        }
        const token = heldToken(await candidates.get(c.winner)!.campaign());
        assert.ok(token > holderToken);
        assert.deepEqual(await holder.current(), { ...winner, token });
      });
    }

    test('a candidate that stops campaigning stops blocking once its candidacy lapses', async () => {
      await fresh();
      const holder = await lease('holder', 100);
      const strong = await lease('strong', 5, 300);
      const weak = await lease('weak', 1);
      const holderToken = heldToken(await holder.campaign());
      assert.equal((await strong.campaign()).outcome, 'taken');
      assert.equal(await holder.release(holderToken), true);
      assert.equal((await weak.campaign()).outcome, 'deferred');
      await cluster.elapse(400);
      heldToken(await weak.campaign());
    });

    test('release frees the lease at once, tells the other candidates, and withdraws the candidacy', async () => {
      await fresh();
      const a = await lease('a', 9);
      const b = await lease('b', 1);
      let notified = 0;
      const stop = b.onReleased(() => (notified += 1));
      const token = heldToken(await a.campaign());
      assert.equal((await b.campaign()).outcome, 'taken');
      assert.equal(await a.release(token + 1), false, 'released with a wrong token');
      assert.equal(notified, 0);
      assert.equal(await a.release(token), true);
      assert.equal(await a.current(), undefined);
      await waitFor('release notification', () => notified === 1);
      // a's higher valor no longer counts: it withdrew.
      const next = heldToken(await b.campaign());
      assert.ok(next > token);
      stop();
    });

    test("a stale holder's release leaves its successor's lease alone", async () => {
      await fresh();
      const a = await lease('a', 1);
      const b = await lease('b', 1);
      const old = heldToken(await a.campaign());
      await cluster.elapse(PAST_TTL_MS);
      const token = heldToken(await b.campaign());
      assert.equal(await a.release(old), false);
      assert.equal(await a.renew(old), false);
      assert.deepEqual(await a.current(), { id: 'b', valor: 1, token });
    });

    test('a closed handle refuses every operation', async () => {
      await fresh();
      const a = await lease('a', 1);
      await a.close();
      await assert.rejects(() => a.campaign(), /closed/);
      await assert.rejects(() => a.renew(1), /closed/);
      await assert.rejects(() => a.current(), /closed/);
    });
  });
}

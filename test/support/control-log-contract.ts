/**
 * @module The durable-state contract: one suite every adapter of core/durable must pass (control
 * log and snapshots). test/component/control-log.test.ts runs it on memory and on a directory,
 * test/integration/mongo-control-log.test.ts on MongoDB (FerretDB in CI). Expected values are
 * written out by hand.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LogFencedError,
  type ControlLog,
  type DurableState,
  type LogEntry,
  type LogRecord,
  type SnapshotOptions,
} from '../../core/durable/index.js';

/** How a suite gets stores of one adapter. */
export interface DurableHarness {
  /** A fresh, empty store; every test opens its own and closes it. */
  open(options?: SnapshotOptions): Promise<DurableState>;
  /** The store last opened, opened again after it was closed (persistent adapters only). */
  reopen?(options?: SnapshotOptions): Promise<DurableState>;
  /** Runs once after the suite. */
  cleanup?(): Promise<void>;
}

/** Payload used throughout: who wrote it and a counter. */
export interface Op {
  readonly by: string;
  readonly n: number;
}

/** Entries `from..from+count-1` of `term`, payloads `{by, n: seq}`. */
export function entries(from: number, count: number, term: number, by = 'a'): LogEntry<Op>[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    term,
    at: 1_000 + from + i,
    payload: { by, n: from + i },
  }));
}

/** Every record after `afterSeq`. */
export async function readAll<T>(log: ControlLog<T>, afterSeq = 0): Promise<LogRecord<T>[]> {
  const out: LogRecord<T>[] = [];
  for await (const record of log.readAfter(afterSeq)) out.push(record);
  return out;
}

/** A compact picture of records: `seq:kind:term[:by]`. */
export function shape(records: readonly LogRecord<Op>[]): string[] {
  return records.map((r) =>
    r.kind === 'entry' ? `${r.seq}:e:${r.term}:${r.payload.by}` : `${r.seq}:t:${r.term}:${r.leader}`,
  );
}

/** Asserts `promise` rejects with a LogFencedError having these fields. */
export async function assertFenced(
  promise: Promise<unknown>,
  expected: Partial<Pick<LogFencedError, 'reason' | 'persisted' | 'seq' | 'term'>>,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof LogFencedError, `not fenced: ${String(err)}`);
    assert.equal(err.code, 'LOG_FENCED');
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected).map((k) => [k, err[k as keyof LogFencedError]])),
      expected,
    );
    return true;
  });
}

/** Items of a snapshot: `count` job-like records of roughly `padding` extra bytes each. */
export function items(count: number, padding = 0): { name: string; n: number; pad: string }[] {
  return Array.from({ length: count }, (_, n) => ({ name: `job-${n}`, n, pad: 'x'.repeat(padding) }));
}

/** Registers the contract suite for one adapter. */
export function controlLogContract(name: string, harness: DurableHarness): void {
  async function using(run: (state: DurableState) => Promise<void>, options?: SnapshotOptions) {
    const state = await harness.open(options);
    try {
      await run(state);
    } finally {
      await state.close();
    }
  }

  describe(`control log contract: ${name}`, () => {
    after(async () => {
      await harness.cleanup?.();
    });

    test('an empty store has no records and no snapshot', () =>
      using(async (state) => {
        assert.deepEqual(await readAll(state.log()), []);
        assert.equal(await state.snapshots.latest(), undefined);
        assert.equal(await state.snapshots.prune(), 0);
      }));

    test('consecutive appends read back in order, payloads as JSON copies', () =>
      using(async (state) => {
        const log = state.log<Op & { extra?: unknown }>();
        const claimed = await log.claimTerm({ term: 1, nextSeq: 1, leader: 'a', at: 1 });
        assert.deepEqual(claimed, { seq: 1, term: 1, missed: [] });
        await log.append(entries(2, 3, 1));
        await log.append([
          { seq: 5, term: 1, at: 5, payload: { by: 'a', n: 5, extra: { u: undefined, d: [1, 'x'] } } },
        ]);
        const before = state.roundTrips;
        await log.append([]);
        assert.equal(state.roundTrips, before, 'an empty batch costs no round trip');
        const all = await readAll(log);
        assert.deepEqual(shape(all), ['1:t:1:a', '2:e:1:a', '3:e:1:a', '4:e:1:a', '5:e:1:a']);
        assert.deepEqual(all[4], {
          kind: 'entry',
          seq: 5,
          term: 1,
          at: 5,
          payload: { by: 'a', n: 5, extra: { d: [1, 'x'] } },
        });
        assert.deepEqual(all[1], { kind: 'entry', seq: 2, term: 1, at: 1002, payload: { by: 'a', n: 2 } });
        assert.deepEqual(shape(await readAll(log, 3)), ['4:e:1:a', '5:e:1:a']);
        assert.deepEqual(await readAll(log, 5), []);
        assert.equal(log.lastWrittenSeq, 5);
        assert.equal(log.highestTerm, 1);
      }));

    test('one batch of 100 entries is one round trip', () =>
      using(async (state) => {
        const log = state.log<Op>();
        const before = state.roundTrips;
        await log.append(entries(1, 100, 1));
        assert.equal(state.roundTrips - before, 1);
        assert.equal((await readAll(log)).length, 100);
      }));

    test('malformed batches are refused before anything is written', () =>
      using(async (state) => {
        const log = state.log<Op>();
        await assert.rejects(log.append([...entries(1, 1, 1), ...entries(3, 1, 1)]), RangeError);
        await assert.rejects(log.append([...entries(1, 1, 1), ...entries(2, 1, 2)]), RangeError);
        await assert.rejects(log.append(entries(0, 1, 1)), RangeError);
        await assert.rejects(
          log.append([{ seq: 1, term: 1, at: 1, payload: undefined as unknown as Op }]),
          TypeError,
        );
        await log.append(entries(1, 2, 1));
        await assert.rejects(log.append(entries(4, 1, 1)), /last wrote 2/);
        assert.deepEqual(shape(await readAll(log)), ['1:e:1:a', '2:e:1:a']);
      }));

    test('a new leader claiming the next seq fences the old one; the deposed handle stays fenced', () =>
      using(async (state) => {
        const a = state.log<Op>();
        await a.claimTerm({ term: 1, nextSeq: 1, leader: 'a', at: 1 });
        await a.append(entries(2, 2, 1));
        const b = state.log<Op>();
        const seen = await readAll(b);
        assert.equal(b.highestTerm, 1);
        const claimed = await b.claimTerm({ term: 2, nextSeq: seen.length + 1, leader: 'b', at: 2 });
        assert.deepEqual(claimed, { seq: 4, term: 2, missed: [] });
        await assertFenced(a.append(entries(4, 2, 1)), {
          reason: 'duplicate-seq',
          persisted: 0,
          seq: 4,
          term: 1,
        });
        assert.equal(a.fenced, true);
        const before = state.roundTrips;
        await assertFenced(a.append(entries(4, 1, 1)), { reason: 'deposed', persisted: 0 });
        assert.equal(state.roundTrips, before, 'a deposed handle does not touch the store');
        await b.append(entries(5, 2, 2, 'b'));
        assert.deepEqual(shape(await readAll(b)), [
          '1:t:1:a',
          '2:e:1:a',
          '3:e:1:a',
          '4:t:2:b',
          '5:e:2:b',
          '6:e:2:b',
        ]);
      }));

    test('a fenced batch reports how many leading entries persisted', () =>
      using(async (state) => {
        const a = state.log<Op>();
        await a.append(entries(1, 5, 1));
        // As if b had read 6 and 7 of a batch a still had in flight, then claimed at 8.
        const b = state.log<Op>();
        await b.claimTerm({ term: 2, nextSeq: 8, leader: 'b', at: 8 });
        await assertFenced(a.append(entries(6, 5, 1)), {
          reason: 'duplicate-seq',
          persisted: 2,
          seq: 8,
          term: 1,
        });
        assert.equal(a.lastWrittenSeq, 7);
        assert.deepEqual(shape(await readAll(b, 5)), ['6:e:1:a', '7:e:1:a', '8:t:2:b']);
      }));

    test('a claim that loses its seq learns what was written and lands after it', () =>
      using(async (state) => {
        const a = state.log<Op>();
        await a.claimTerm({ term: 1, nextSeq: 1, leader: 'a', at: 1 });
        await a.append(entries(2, 3, 1));
        const b = state.log<Op>();
        const claimed = await b.claimTerm({ term: 2, nextSeq: 3, leader: 'b', at: 9 });
        assert.equal(claimed.seq, 5);
        assert.deepEqual(shape(claimed.missed), ['3:e:1:a', '4:e:1:a']);
        await assertFenced(a.append(entries(5, 1, 1)), { reason: 'duplicate-seq', persisted: 0 });
      }));

    test('a claim is refused when the log already holds its term or a higher one', () =>
      using(async (state) => {
        const a = state.log<Op>();
        await a.claimTerm({ term: 5, nextSeq: 1, leader: 'a', at: 1 });
        const b = state.log<Op>();
        await assertFenced(b.claimTerm({ term: 3, nextSeq: 1, leader: 'b', at: 2 }), {
          reason: 'stale-term',
          term: 3,
        });
        assert.equal(b.highestTerm, 5);
        await assertFenced(b.claimTerm({ term: 5, nextSeq: 2, leader: 'b', at: 2 }), {
          reason: 'stale-term',
        });
        assert.deepEqual(shape(await readAll(b)), ['1:t:5:a']);
      }));

    test('a batch with a term lower than one the handle has seen is refused without a write', () =>
      using(async (state) => {
        const a = state.log<Op>();
        await a.claimTerm({ term: 3, nextSeq: 1, leader: 'a', at: 1 });
        const c = state.log<Op>();
        await readAll(c);
        await assertFenced(c.append(entries(2, 2, 2, 'c')), {
          reason: 'stale-term',
          persisted: 0,
          seq: 2,
          term: 2,
        });
        await a.append(entries(2, 1, 3));
        assert.deepEqual(shape(await readAll(a)), ['1:t:3:a', '2:e:3:a']);
      }));

    test('two writers racing for the same seqs: exactly one wins, 20 rounds', () =>
      using(async (state) => {
        let next = 1;
        for (let round = 0; round < 20; round++) {
          const a = state.log<Op>();
          const b = state.log<Op>();
          const results = await Promise.allSettled([
            a.append(entries(next, 5, round + 1, 'a')),
            b.append(entries(next, 5, round + 1, 'b')),
          ]);
          const won = results.filter((r) => r.status === 'fulfilled');
          assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
          const lost = results.find((r) => r.status === 'rejected');
          assert.ok(lost?.reason instanceof LogFencedError, `round ${round}: ${String(lost?.reason)}`);
          assert.equal(lost.reason.persisted, 0);
          const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
          const written = await readAll(a, next - 1);
          assert.deepEqual(
            written.map((r) => (r.kind === 'entry' ? r.payload.by : '?')),
            [winner, winner, winner, winner, winner],
            `round ${round}`,
          );
          next += 5;
        }
      }));

    test('truncateThrough deletes covered records; appends continue after it', () =>
      using(async (state) => {
        const log = state.log<Op>();
        await log.append(entries(1, 10, 1));
        assert.equal(await log.truncateThrough(6), 6);
        assert.deepEqual(
          (await readAll(log)).map((r) => r.seq),
          [7, 8, 9, 10],
        );
        assert.equal(await log.truncateThrough(6), 0);
        await log.append(entries(11, 2, 1));
        assert.deepEqual(
          (await readAll(log, 8)).map((r) => r.seq),
          [9, 10, 11, 12],
        );
        assert.equal(await log.truncateThrough(12), 6);
        assert.deepEqual(await readAll(log), []);
      }));

    test('snapshots: chunked save, newest by seq then term, duplicate refused, prune keeps the newest', () =>
      using(
        async (state) => {
          const first = await state.snapshots.save({ seq: 10, term: 1, at: 100, items: items(5_000) });
          assert.deepEqual(first, { saved: true, chunks: 17 });
          const got = await state.snapshots.latest();
          assert.equal(got?.items.length, 5_000);
          assert.deepEqual(got, { seq: 10, term: 1, at: 100, items: items(5_000) });
          assert.deepEqual(await state.snapshots.save({ seq: 10, term: 1, at: 101, items: [] }), {
            saved: false,
            chunks: 0,
          });
          await state.snapshots.save({ seq: 20, term: 1, at: 200, items: items(3) });
          await state.snapshots.save({ seq: 20, term: 2, at: 201, items: items(2) });
          assert.deepEqual(await state.snapshots.latest(), { seq: 20, term: 2, at: 201, items: items(2) });
          assert.equal(await state.snapshots.prune(2), 1);
          assert.equal(await state.snapshots.prune(2), 0);
          assert.deepEqual(await state.snapshots.latest(), { seq: 20, term: 2, at: 201, items: items(2) });
          await assert.rejects(state.snapshots.prune(0), RangeError);
          assert.equal(await state.snapshots.prune(1), 1);
          assert.equal((await state.snapshots.latest())?.term, 2);
        },
        { maxChunkItems: 300 },
      ));

    test('snapshots are chunked by size too, and an empty snapshot is a valid one', () =>
      using(
        async (state) => {
          const big = items(200, 1_000);
          const saved = await state.snapshots.save({ seq: 1, term: 1, at: 1, items: big });
          assert.ok(saved.chunks >= 20, `${saved.chunks} chunks for ~200 KB in 10 KB chunks`);
          assert.deepEqual((await state.snapshots.latest())?.items, big);
          await state.snapshots.save({ seq: 2, term: 1, at: 2, items: [] });
          assert.deepEqual(await state.snapshots.latest(), { seq: 2, term: 1, at: 2, items: [] });
        },
        { maxChunkBytes: 10_000 },
      ));

    test('a half-written snapshot (chunks, no manifest) is ignored and pruned', () =>
      using(
        async (state) => {
          await state.snapshots.save({ seq: 10, term: 1, at: 1, items: items(50) });
          await assert.rejects(state.snapshots.save({ seq: 99, term: 1, at: 2, items: items(500) }), /crash/);
          assert.deepEqual(await state.snapshots.latest(), { seq: 10, term: 1, at: 1, items: items(50) });
          assert.equal(await state.snapshots.prune(1), 0);
          assert.deepEqual(await state.snapshots.latest(), { seq: 10, term: 1, at: 1, items: items(50) });
        },
        {
          maxChunkItems: 20,
          beforeManifest: (meta) => {
            if (meta.seq === 99) throw new Error('simulated crash before the manifest');
          },
        },
      ));

    const reopen = harness.reopen?.bind(harness);
    if (reopen) {
      test('everything written is read back after a close and reopen', async () => {
        const state = await harness.open({ maxChunkItems: 10 });
        const a = state.log<Op>();
        await a.claimTerm({ term: 1, nextSeq: 1, leader: 'a', at: 1 });
        await a.append(entries(2, 30, 1));
        await state.snapshots.save({ seq: 20, term: 1, at: 5, items: items(25) });
        await state.close();
        const again = await reopen();
        try {
          assert.deepEqual(await again.snapshots.latest(), { seq: 20, term: 1, at: 5, items: items(25) });
          const b = again.log<Op>();
          const tail = await readAll(b, 20);
          assert.deepEqual(
            tail.map((r) => r.seq),
            [21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31],
          );
          assert.deepEqual(tail[0], {
            kind: 'entry',
            seq: 21,
            term: 1,
            at: 1021,
            payload: { by: 'a', n: 21 },
          });
          const claimed = await b.claimTerm({ term: 2, nextSeq: 32, leader: 'b', at: 9 });
          assert.equal(claimed.seq, 32);
          await assertFenced(again.log<Op>().append(entries(32, 1, 2)), { reason: 'duplicate-seq' });
        } finally {
          await again.close();
        }
      });
    }
  });
}

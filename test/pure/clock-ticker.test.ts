import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { Ticker } from '../../core/clock/ticker.js';

/** Lets the microtasks of a resolved sleep and a tick run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function ticker(clock: FakeClock, tick: () => Promise<unknown>, errors: unknown[] = []): Ticker {
  return new Ticker({ name: 'T', periodMs: 100, clock, tick, onError: (e) => errors.push(e) });
}

test('Ticker: the first tick comes one period after run, then one per period', async () => {
  const clock = new FakeClock();
  let ticks = 0;
  const t = ticker(clock, () => Promise.resolve(ticks++));
  t.run();
  assert.equal(t.getState(), 'running');
  clock.advance(99);
  await settle();
  assert.equal(ticks, 0);
  for (let i = 1; i <= 3; i++) {
    clock.advance(100);
    await settle();
    assert.equal(ticks, i);
  }
  await t.close();
  assert.equal(t.getState(), 'closed');
});

test('Ticker: a failed tick is reported and the loop goes on', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  let ticks = 0;
  const t = ticker(
    clock,
    () => (++ticks === 1 ? Promise.reject(new Error('refused')) : Promise.resolve()),
    errors,
  );
  t.run();
  clock.advance(100);
  await settle();
  clock.advance(100);
  await settle();
  assert.equal(ticks, 2);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['refused'],
  );
  await t.close();
});

test('Ticker: close waits for the tick in progress and aborts its signal; no tick after close', async () => {
  const clock = new FakeClock();
  let release!: () => void;
  let ticks = 0;
  const t = ticker(clock, () => {
    ticks++;
    return new Promise<void>((r) => (release = r));
  });
  t.run();
  clock.advance(100);
  await settle();
  assert.equal(ticks, 1);
  let closed = false;
  const closing = t.close().then(() => (closed = true));
  await settle();
  assert.equal(t.getState(), 'closing');
  assert.equal(t.signal.aborted, true);
  assert.equal(closed, false, 'close must wait for the tick in progress');
  release();
  await closing;
  clock.advance(1000);
  await settle();
  assert.equal(ticks, 1);
  await t.close(); // idempotent
});

test('Ticker: refuses a period that is not positive, and a second run', () => {
  const clock = new FakeClock();
  for (const periodMs of [0, -1, Number.NaN])
    assert.throws(
      () => new Ticker({ name: 'X', periodMs, clock, tick: () => Promise.resolve(), onError: () => {} }),
      /X: period must be > 0 ms/,
    );
  const t = ticker(clock, () => Promise.resolve());
  t.run();
  assert.throws(() => t.run(), /T\.run in state running/);
  return t.close();
});

test('Ticker: a ticker never run closes at once', async () => {
  const t = ticker(new FakeClock(), () => Promise.resolve());
  await t.close();
  assert.equal(t.getState(), 'closed');
});

/**
 * @module The job-queue contract: one suite every adapter of core/queue/job-queue.ts must pass.
 * test/component/queue-contract.test.ts runs it in process, and
 * test/integration/bullmq-queue-contract.test.ts runs it on BullMQ/Redis.
 */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobQueue, QueueMessage } from '../../core/queue/job-queue.js';

/** Retry settings the contract runs with: quick, so redelivery cases take milliseconds. */
export interface ContractRetry {
  readonly attempts: number;
  readonly backoffMs: number;
}

const RETRY: ContractRetry = { attempts: 3, backoffMs: 20 };
const WAIT_MS = 5_000;

/** Polls `check` until it holds, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves after `ms`; used only to show that something did *not* happen. */
function quiet(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A handler that records what it got and can be told to fail or to block. */
class RecordingHandler {
  readonly seen: QueueMessage[] = [];
  /** Handler calls running right now, and the most ever seen at once. */
  running = 0;
  maxRunning = 0;
  /** Messages (by JSON) to reject, with how many more times to reject each. */
  readonly failures = new Map<string, number>();
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  readonly handle = async (m: QueueMessage): Promise<void> => {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      this.seen.push(m);
      await this.#gate;
      const key = JSON.stringify(m);
      const left = this.failures.get(key) ?? 0;
      if (left > 0) {
        this.failures.set(key, left - 1);
        throw new Error(`planned failure of ${key}`);
      }
    } finally {
      this.running -= 1;
    }
  };

  /** Makes later calls wait until {@link release}. */
  block(): void {
    this.#gate = new Promise((r) => {
      this.#open = r;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }
}

const submitted = (job: string): QueueMessage => ({ kind: 'submitted', job });
const cancel = (job: string): QueueMessage => ({ kind: 'cancel', job });

/**
 * Registers the job-queue contract suite for one adapter.
 *
 * @param name - adapter name, shown in the suite title.
 * @param make - returns a fresh, empty queue using `retry`; each test closes what it made.
 * @param cleanup - runs once after the suite (delete Redis keys, say).
 */
export function queueContract(
  name: string,
  make: (retry: ContractRetry) => Promise<JobQueue>,
  cleanup?: () => Promise<void>,
): void {
  describe(`queue contract: ${name}`, () => {
    let q: JobQueue | undefined;
    const fresh = async (): Promise<JobQueue> => {
      q = await make(RETRY);
      return q;
    };
    afterEach(async () => {
      await q?.close();
      q = undefined;
    });
    if (cleanup) after(cleanup);

    test('ping answers ok; a fresh queue is empty', async () => {
      const queue = await fresh();
      assert.equal(await queue.ping(), 'ok');
      assert.equal(await queue.depth(), 0);
    });

    test('messages enqueued before consume are counted, then delivered once each, in order', async () => {
      const queue = await fresh();
      const messages: QueueMessage[] = [
        submitted('a'),
        cancel('a'),
        { kind: 'strategy', strategy: 'best-fit' },
        submitted('b'),
        submitted('c'),
      ];
      for (const m of messages) await queue.enqueue(m);
      assert.equal(await queue.depth(), 5);
      const h = new RecordingHandler();
      await queue.consume(h.handle);
      await waitFor('all five delivered', () => h.seen.length >= 5);
      await waitFor('depth back to 0', async () => (await queue.depth()) === 0);
      assert.deepEqual(h.seen, messages);
      assert.equal(h.maxRunning, 1);
    });

    test('messages enqueued while consuming are delivered one at a time, in order', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      await queue.consume(h.handle);
      const jobs = Array.from({ length: 20 }, (_, i) => `j${i}`);
      for (const j of jobs) await queue.enqueue(submitted(j));
      await waitFor('twenty delivered', () => h.seen.length >= 20);
      assert.deepEqual(
        h.seen.map((m) => (m.kind === 'submitted' ? m.job : '?')),
        jobs,
      );
      assert.equal(h.maxRunning, 1);
    });

    test('a submitted message is deduplicated while one for the same job waits', async () => {
      const queue = await fresh();
      await queue.enqueue(submitted('a'));
      await queue.enqueue(submitted('a'));
      await queue.enqueue(submitted('b'));
      await queue.enqueue(cancel('a'));
      await queue.enqueue(cancel('a'));
      // Cancels are never deduplicated; submitted 'a' is queued once.
      assert.equal(await queue.depth(), 4);
      const h = new RecordingHandler();
      await queue.consume(h.handle);
      await waitFor('four delivered', () => h.seen.length >= 4);
      await quiet(100);
      assert.deepEqual(h.seen, [submitted('a'), submitted('b'), cancel('a'), cancel('a')]);
    });

    test('once handled, a new submitted message for the same job is delivered again', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      await queue.consume(h.handle);
      await queue.enqueue(submitted('a'));
      await waitFor('first delivery', () => h.seen.length === 1);
      await waitFor('handled', async () => (await queue.depth()) === 0);
      await queue.enqueue(submitted('a'));
      await waitFor('second delivery', () => h.seen.length === 2);
      assert.deepEqual(h.seen, [submitted('a'), submitted('a')]);
    });

    test('a rejected message is redelivered after a backoff; the others still flow', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      h.failures.set(JSON.stringify(submitted('flaky')), 1);
      await queue.consume(h.handle);
      await queue.enqueue(submitted('flaky'));
      await queue.enqueue(submitted('ok'));
      await waitFor(
        'flaky delivered twice',
        () => h.seen.filter((m) => m.kind === 'submitted' && m.job === 'flaky').length === 2,
      );
      await waitFor('depth back to 0', async () => (await queue.depth()) === 0);
      assert.deepEqual(h.seen, [submitted('flaky'), submitted('ok'), submitted('flaky')]);
      assert.equal(h.maxRunning, 1);
    });

    test('a message that keeps failing is dropped after the last attempt, and its dedupe released', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      h.failures.set(JSON.stringify(submitted('doomed')), RETRY.attempts);
      await queue.consume(h.handle);
      await queue.enqueue(submitted('doomed'));
      await waitFor(`${RETRY.attempts} attempts`, () => h.seen.length === RETRY.attempts);
      await waitFor('depth back to 0', async () => (await queue.depth()) === 0);
      // Longer than the next backoff would have been (20 ms * 2^2 = 80 ms).
      await quiet(250);
      assert.equal(h.seen.length, RETRY.attempts);
      // The job is still in the store; a later submission of it must get through.
      await queue.enqueue(submitted('doomed'));
      await waitFor('delivery after the drop', () => h.seen.length === RETRY.attempts + 1);
    });

    test('depth counts a message while its handler runs', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      h.block();
      await queue.consume(h.handle);
      await queue.enqueue(submitted('a'));
      await queue.enqueue(submitted('b'));
      await waitFor('first delivery', () => h.seen.length === 1);
      assert.equal(await queue.depth(), 2);
      h.release();
      await waitFor('depth back to 0', async () => (await queue.depth()) === 0);
    });

    test('a submitted message stays deduplicated while its handler runs', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      h.block();
      await queue.consume(h.handle);
      await queue.enqueue(submitted('a'));
      await waitFor('delivery', () => h.seen.length === 1);
      await queue.enqueue(submitted('a'));
      assert.equal(await queue.depth(), 1);
      h.release();
      await waitFor('depth back to 0', async () => (await queue.depth()) === 0);
      await quiet(100);
      assert.deepEqual(h.seen, [submitted('a')]);
    });

    test('close waits for the handler in flight, then stops delivering', async () => {
      const queue = await fresh();
      const h = new RecordingHandler();
      h.block();
      await queue.consume(h.handle);
      await queue.enqueue(submitted('a'));
      await waitFor('delivery', () => h.seen.length === 1);
      let closed = false;
      const closing = queue.close().then(() => {
        closed = true;
      });
      await quiet(100);
      assert.equal(closed, false, 'close() resolved while a handler was still running');
      assert.equal(h.running, 1);
      h.release();
      await closing;
      assert.equal(h.running, 0);
      await assert.rejects(() => queue.enqueue(submitted('late')));
      assert.equal(h.seen.length, 1);
    });

    test('a second consumer on one queue object is refused', async () => {
      const queue = await fresh();
      await queue.consume(new RecordingHandler().handle);
      await assert.rejects(() => queue.consume(new RecordingHandler().handle));
    });
  });
}

/**
 * A worker's enrolment does not wait for good on a connection that went wrong: after a few
 * unanswered sends the socket is replaced by a fresh one (libzmq does not retry a failed CurveZMQ
 * handshake, and a send waits while the peer is unreachable). Fake sockets: one that never
 * answers, one that answers; the agent's close ends it without opening another.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../core/log/logger.js';
import { PROTOCOL_VERSION, type Message } from '../../core/protocol/index.js';
import { awaitEnrolment } from '../../worker/await-enrolment.js';
import type { DealerChannel } from '../../worker/dealer-channel.js';

const TIMING = { resendMs: 5, sendsPerSocket: 3 };
const ASK: Message = { type: 'heartbeat', v: PROTOCOL_VERSION, workerId: 'w1' } as unknown as Message;

/** A socket that answers `reply` to its first send, or never when `reply` is undefined. */
class FakeDesk {
  sends = 0;
  closed = false;
  private wake: (() => void) | undefined;
  private readonly inbox: Message[] = [];

  constructor(private readonly reply: Message | undefined) {}

  send(): void {
    this.sends++;
    if (this.reply && this.sends === 1) this.push(this.reply);
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *messages(): AsyncGenerator<Message> {
    for (;;) {
      const next = this.inbox.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private push(m: Message): void {
    this.inbox.push(m);
    this.wake?.();
  }
}

const enrolled: Message = { type: 'enrolled', v: PROTOCOL_VERSION, workerId: 'w1' };

function run(desks: FakeDesk[], stopping = new AbortController().signal, timing = TIMING) {
  const opened: FakeDesk[] = [];
  const current: (FakeDesk | undefined)[] = [];
  const lines: string[] = [];
  const logger = createLogger('warn', { write: (l: string) => lines.push(l) });
  const result = awaitEnrolment(
    () => {
      const d = desks[opened.length];
      assert.ok(d, `no socket #${opened.length + 1} expected`);
      opened.push(d);
      return d as unknown as DealerChannel;
    },
    () => ASK,
    'w1',
    logger,
    (d) => current.push(d as unknown as FakeDesk | undefined),
    stopping,
    timing,
  );
  return { result, opened, current, lines };
}

describe('awaitEnrolment', () => {
  it('answered on the first socket: enrolled, one socket, closed, forgotten', async () => {
    const d = new FakeDesk(enrolled);
    const r = run([d]);
    assert.equal(await r.result, undefined);
    assert.deepEqual(r.opened, [d]);
    assert.equal(d.closed, true);
    assert.equal(r.current.at(-1), undefined);
  });

  it('a socket that never answers is replaced after its sends; the fresh one enrols', async () => {
    const silent = new FakeDesk(undefined);
    const answering = new FakeDesk(enrolled);
    const r = run([silent, answering]);
    assert.equal(await r.result, undefined);
    assert.deepEqual(r.opened, [silent, answering]);
    assert.equal(silent.sends, TIMING.sendsPerSocket);
    assert.equal(silent.closed, true);
    assert.equal(answering.closed, true);
    assert.deepEqual(r.current, [silent, answering, undefined]);
    assert.equal(r.lines.length, 1);
    assert.match(r.lines[0] ?? '', /enrolment unanswered; reconnecting with a fresh socket/);
  });

  it('a refusal ends it with the reason, without another socket', async () => {
    const d = new FakeDesk({
      type: 'reject',
      v: PROTOCOL_VERSION,
      reason: 'join token refused',
      rejoin: false,
    });
    const r = run([d]);
    assert.equal(await r.result, 'join token refused');
    assert.equal(r.opened.length, 1);
  });

  it('closed from outside (the agent shuts down): no answer, and no fresh socket', async () => {
    const stop = new AbortController();
    const silent = new FakeDesk(undefined);
    // Slow resends: the close comes long before this socket would be given up.
    const r = run([silent], stop.signal, { resendMs: 60_000, sendsPerSocket: 3 });
    await new Promise((resolve) => setTimeout(resolve, 2));
    stop.abort();
    silent.close();
    assert.equal(await r.result, 'no answer');
    assert.equal(r.opened.length, 1);
  });
});

/**
 * @module A tiny GlobalManager and Discovery for worker tests: two real ZeroMQ ROUTER sockets on
 * loopback (ephemeral ports) that record what workers send, send commands to a worker by id, and
 * acknowledge reports (or withhold acks, to exercise the worker's retries).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Router } from 'zeromq';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  taskRefKey,
  type Heartbeat,
  type Join,
  type Message,
  type Report,
  type TaskAssignment,
  type TaskRef,
} from '../../core/protocol/index.js';

/** One message a worker sent to the fake GlobalManager. */
export interface FromWorker {
  readonly workerId: string;
  readonly message: Message;
}

export class FakeManager {
  /** Everything workers sent to the GlobalManager, in arrival order. */
  readonly fromWorkers: FromWorker[] = [];
  /** Every report received by Discovery (resends included), in arrival order. */
  readonly reports: Report[] = [];
  /** Frames that did not decode, per socket. */
  readonly invalid: string[] = [];
  /** When false, Discovery records reports but does not acknowledge them. */
  autoAck = true;

  private readonly gm = new Router({ linger: 0, handover: true });
  private readonly discovery = new Router({ linger: 0, handover: true });
  /** Discovery peer that sent each report id, so a later manual ack reaches it. */
  private readonly reportPeers = new Map<string, Buffer>();
  private sendChain: Promise<void> = Promise.resolve();
  private readonly loops: Promise<void>[] = [];
  private closed = false;

  private constructor() {}

  /** Binds both ROUTERs on 127.0.0.1 with ports the OS picks. */
  static async start(): Promise<FakeManager> {
    const fake = new FakeManager();
    await fake.gm.bind('tcp://127.0.0.1:*');
    await fake.discovery.bind('tcp://127.0.0.1:*');
    fake.loops.push(fake.receiveGm(), fake.receiveDiscovery());
    return fake;
  }

  get managerEndpoint(): string {
    return this.gm.lastEndpoint ?? '';
  }

  get discoveryEndpoint(): string {
    return this.discovery.lastEndpoint ?? '';
  }

  joins(workerId?: string): Join[] {
    return this.of('join', workerId);
  }

  heartbeats(workerId?: string): Heartbeat[] {
    return this.of('heartbeat', workerId);
  }

  /** Reports about one attempt, in arrival order (resends included). */
  reportsFor(ref: TaskRef): Report[] {
    const key = taskRefKey(ref);
    return this.reports.filter((r) => taskRefKey(r) === key);
  }

  /** The distinct states reported for one attempt, in the order first seen. */
  statesFor(ref: TaskRef): Report['state'][] {
    return [...new Set(this.reportsFor(ref).map((r) => r.state))];
  }

  sync(workerId: string, desired: TaskAssignment[]): Promise<void> {
    return this.send(workerId, { type: 'sync', v: PROTOCOL_VERSION, desired });
  }

  assign(workerId: string, tasks: TaskAssignment[]): Promise<void> {
    return this.send(workerId, { type: 'assign', v: PROTOCOL_VERSION, tasks });
  }

  stop(workerId: string, tasks: TaskRef[]): Promise<void> {
    return this.send(workerId, { type: 'stop', v: PROTOCOL_VERSION, tasks });
  }

  reject(workerId: string, reason: string, rejoin: boolean): Promise<void> {
    return this.send(workerId, { type: 'reject', v: PROTOCOL_VERSION, reason, rejoin });
  }

  leave(workerId: string): Promise<void> {
    return this.send(workerId, { type: 'leave', v: PROTOCOL_VERSION });
  }

  send(workerId: string, message: Message): Promise<void> {
    return this.sendRaw(workerId, encodeMessage(message));
  }

  /** Sends any bytes as one frame (to test how a worker treats invalid messages). */
  sendRaw(workerId: string, frame: Buffer | string): Promise<void> {
    return this.enqueue(() => this.gm.send([workerId, frame]));
  }

  /** Acknowledges reports by id (the way Discovery does once they are stored). */
  ack(ids: string[]): Promise<void> {
    const byPeer = new Map<string, { peer: Buffer; ids: string[] }>();
    for (const id of ids) {
      const peer = this.reportPeers.get(id);
      if (!peer) continue;
      const key = peer.toString('hex');
      const group = byPeer.get(key) ?? { peer, ids: [] };
      group.ids.push(id);
      byPeer.set(key, group);
    }
    return Promise.all(
      [...byPeer.values()].map(({ peer, ids: peerIds }) =>
        this.enqueue(() =>
          this.discovery.send([peer, encodeMessage({ type: 'ack', v: PROTOCOL_VERSION, ids: peerIds })]),
        ),
      ),
    ).then(() => undefined);
  }

  /**
   * Polls `probe` until it returns something other than undefined/false, or fails after
   * `timeoutMs` with `what` in the message.
   */
  async waitFor<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 5000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await delay(5);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.gm.close();
    this.discovery.close();
    await Promise.all(this.loops);
    await this.sendChain;
  }

  private of<T extends Message['type']>(type: T, workerId?: string): Extract<Message, { type: T }>[] {
    return this.fromWorkers
      .filter((m) => m.message.type === type && (workerId === undefined || m.workerId === workerId))
      .map((m) => m.message as Extract<Message, { type: T }>);
  }

  private failUnlessClosed(err: unknown): void {
    if (!this.closed) throw err;
  }

  private enqueue(send: () => Promise<void>): Promise<void> {
    const next = this.sendChain.then(send);
    this.sendChain = next.catch(() => undefined);
    return next;
  }

  /** A receive pending when the socket closes rejects (ENOTSOCK); that is the normal end. */
  private async receiveGm(): Promise<void> {
    try {
      for await (const [id, frame] of this.gm) {
        const decoded = frame ? decodeMessage(frame) : { ok: false as const, error: 'no frame' };
        if (decoded.ok) this.fromWorkers.push({ workerId: String(id), message: decoded.message });
        else this.invalid.push(decoded.error);
      }
    } catch (err) {
      this.failUnlessClosed(err);
    }
  }

  private async receiveDiscovery(): Promise<void> {
    try {
      for await (const [peer, frame] of this.discovery) {
        const decoded = frame ? decodeMessage(frame) : { ok: false as const, error: 'no frame' };
        if (!peer || !decoded.ok || decoded.message.type !== 'report') {
          this.invalid.push(decoded.ok ? `unexpected ${decoded.message.type}` : decoded.error);
          continue;
        }
        const report = decoded.message;
        this.reports.push(report);
        this.reportPeers.set(report.id, peer);
        // A send racing close() fails with ENOTSOCK; nothing is waiting for it any more.
        if (this.autoAck) await this.ack([report.id]).catch((err: unknown) => this.failUnlessClosed(err));
      }
    } catch (err) {
      this.failUnlessClosed(err);
    }
  }
}

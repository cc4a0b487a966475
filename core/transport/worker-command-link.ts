import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import {
  PROTOCOL_VERSION,
  type CommandResult,
  type WorkerCommand,
  type WorkerRtt,
} from '../protocol/messages.js';
import type { Logger } from '../log/logger.js';
import { clientSocketOptions, controlPrincipal, type ClientLinkSecurity } from '../security/index.js';
import { SerialSender } from './serial-sender.js';

/** The answer to one worker command, as the requester sees it (`timeout`: nobody answered). */
export interface WorkerCommandAnswer {
  readonly outcome: CommandResult['outcome'] | 'timeout';
  readonly reason: string | null;
  /** For `endpoints`, when done. */
  readonly endpoints?: CommandResult['endpoints'];
  /** For `logs`, when done. */
  readonly logs?: CommandResult['logs'];
}

/**
 * FrontEnd → GlobalManager → worker: a command that needs the worker's answer (update a task's
 * limits, checkpoint it, leave). Never rejects for a worker-side problem: an unreachable worker
 * or a missing answer within `timeoutMs` is an answer too.
 */
export interface WorkerCommandLink {
  request(workerId: string, command: WorkerCommand, timeoutMs: number): Promise<WorkerCommandAnswer>;
  close(): Promise<void>;
}

/** Milliseconds a closing socket may spend flushing queued messages. */
const LINGER_MS = 200;

/** {@link WorkerCommandLink} over a ZeroMQ DEALER to the GlobalManager's ROUTER; results pair by id. */
export class ZmqWorkerCommandLink implements WorkerCommandLink {
  private readonly socket: Dealer;
  private readonly sender = new SerialSender();
  private readonly waiting = new Map<string, (a: WorkerCommandAnswer) => void>();
  /** Latency queries waiting for the GlobalManager's report, by id. */
  private readonly waitingLatency = new Map<string, (rows: WorkerRtt[]) => void>();
  private readonly loop: Promise<void>;

  /** @param security the control plane's keys; absent, plaintext (tests) */
  constructor(
    endpoint: string,
    private readonly logger: Logger,
    security?: ClientLinkSecurity,
  ) {
    this.socket = new Dealer({
      routingId: `command-${randomUUID()}`,
      linger: LINGER_MS,
      ...(security ? clientSocketOptions(security, controlPrincipal('command')) : {}),
    });
    this.socket.connect(endpoint);
    this.loop = this.receive();
  }

  async request(workerId: string, command: WorkerCommand, timeoutMs: number): Promise<WorkerCommandAnswer> {
    const id = randomUUID();
    const answered = new Promise<WorkerCommandAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ outcome: 'timeout', reason: `worker ${workerId} did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(a);
      });
    });
    const frame = encodeMessage({ type: 'command', v: PROTOCOL_VERSION, id, workerId, command });
    await this.sender.run(() => this.socket.send(frame));
    return answered;
  }

  /**
   * The GlobalManager's round trips to its workers (docs/design/services.md, latency monitor),
   * for a FrontEnd whose GlobalManager runs in another process.
   * @throws Error when no report comes within `timeoutMs`
   */
  async workerLatency(timeoutMs: number): Promise<WorkerRtt[]> {
    const id = randomUUID();
    const answered = new Promise<WorkerRtt[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waitingLatency.delete(id);
        reject(new Error(`the GlobalManager did not report latencies within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waitingLatency.set(id, (rows) => {
        clearTimeout(timer);
        this.waitingLatency.delete(id);
        resolve(rows);
      });
    });
    const frame = encodeMessage({ type: 'latencyQuery', v: PROTOCOL_VERSION, id });
    await this.sender.run(() => this.socket.send(frame));
    return answered;
  }

  private async receive(): Promise<void> {
    try {
      for await (const [frame] of this.socket) {
        const d = decodeMessage(frame as Buffer);
        if (d.ok && d.message.type === 'latencyReport') {
          this.waitingLatency.get(d.message.id)?.(d.message.workers);
          continue;
        }
        if (!d.ok || d.message.type !== 'commandResult') {
          this.logger.warn({ error: d.ok ? `unexpected ${d.message.type}` : d.error }, 'dropped a reply');
          continue;
        }
        const { outcome, reason, endpoints, logs } = d.message;
        this.waiting.get(d.message.id)?.({
          outcome,
          reason,
          ...(endpoints ? { endpoints } : {}),
          ...(logs ? { logs } : {}),
        });
      }
    } catch (err) {
      if (!this.socket.closed) this.logger.error({ err }, 'command link stopped');
    }
  }

  /** Answers every waiting request `timeout` and closes the socket. */
  async close(): Promise<void> {
    for (const resolve of [...this.waiting.values()])
      resolve({ outcome: 'timeout', reason: 'the FrontEnd is closing' });
    for (const resolve of [...this.waitingLatency.values()]) resolve([]);
    await this.sender.drain();
    this.socket.close();
    await this.loop;
  }
}

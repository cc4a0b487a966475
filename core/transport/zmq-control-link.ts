import { randomUUID } from 'node:crypto';
import { Dealer, Router } from 'zeromq';
import { z } from 'zod';
import {
  isNotLeader,
  type CommandOutcome,
  type ControlIntent,
  type ControlLink,
  type ControlQuery,
  type QueryResults,
} from '../control-state/index.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { ZapHandler, type ClientLinkSecurity, type ServerLinkSecurity } from '../security/index.js';
import { SerialSender } from './serial-sender.js';

/** Version of the control link's frames; a frame of another version is refused. */
export const CONTROL_LINK_VERSION = 1;
/** Largest frame accepted (a reports batch or a big job spec fits many times over). */
export const MAX_CONTROL_FRAME_BYTES = 16 * 1024 * 1024;
const LINGER_MS = 200;
/** How long a request waits for a live connection to the JobManager before trying the next. */
const SEND_TIMEOUT_MS = 250;

const requestSchema = z.discriminatedUnion('type', [
  z.object({
    v: z.literal(CONTROL_LINK_VERSION),
    type: z.literal('intent'),
    id: z.string().min(1).max(128),
    intent: z.looseObject({ kind: z.string().min(1).max(64) }),
  }),
  z.object({
    v: z.literal(CONTROL_LINK_VERSION),
    type: z.literal('query'),
    id: z.string().min(1).max(128),
    query: z.looseObject({
      kind: z.enum([
        'consistency',
        'status',
        'job',
        'jobs',
        'active-on-worker',
        'workers',
        'counts',
        'services',
        'events',
      ]),
    }),
  }),
]);
type Request = z.infer<typeof requestSchema>;

const replySchema = z.union([
  z.object({ v: z.literal(CONTROL_LINK_VERSION), id: z.string(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    v: z.literal(CONTROL_LINK_VERSION),
    id: z.string(),
    ok: z.literal(false),
    code: z.string(),
    message: z.string(),
    notLeader: z.boolean(),
  }),
]);
type Reply = z.infer<typeof replySchema>;

function parse<T>(
  schema: z.ZodType<T>,
  frame: Buffer,
): { ok: true; value: T } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(frame.toString('utf8'));
  } catch {
    return { ok: false, error: 'frame is not JSON' };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const first = r.error.issues[0];
  return { ok: false, error: first ? `${first.path.join('.')}: ${first.message}` : 'invalid frame' };
}

/** What the server does with one request: an intent's outcome or a query's answer. */
export type ControlRequestHandler = (
  request:
    | { readonly type: 'intent'; readonly intent: ControlIntent }
    | { readonly type: 'query'; readonly query: ControlQuery },
) => Promise<unknown>;

/**
 * The JobManager's end of the control link: a ROUTER that answers each request with its id.
 * Requests are handled concurrently (an intent waits for its cycle; queries must not wait
 * behind it). Errors go back with their stable code and whether "not the leader" caused them.
 */
export class ZmqControlServer {
  private readonly sender = new SerialSender();
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly router: Router,
    private readonly handler: ControlRequestHandler,
    private readonly logger: Logger,
    private readonly releaseZap: () => Promise<void>,
  ) {}

  /**
   * Binds `endpoint` and starts answering. With `security` the socket is a CurveZMQ server whose
   * ZAP policy admits only control-plane keys: a worker's key, an unknown key or a plaintext
   * peer never completes the handshake, so no intent or query of theirs is ever read. Every
   * intent changes control state (submit, cancel, drain, reports), so nothing but the control
   * plane may send one.
   */
  static async bind(
    endpoint: string,
    handler: ControlRequestHandler,
    logger: Logger,
    security?: ServerLinkSecurity,
  ): Promise<ZmqControlServer> {
    let release = (): Promise<void> => Promise.resolve();
    let curve = {};
    if (security) {
      const domain = `rswarm-control-${randomUUID()}`;
      const controlKeys = new Set(security.controlPublicKeys);
      release = await ZapHandler.register(
        domain,
        (key) =>
          controlKeys.has(key)
            ? { ok: true, userId: 'control' }
            : { ok: false, reason: 'not a control-plane key' },
        logger,
      );
      curve = {
        curveServer: true,
        curvePublicKey: security.keyPair.publicKey,
        curveSecretKey: security.keyPair.secretKey,
        zapDomain: domain,
      };
    }
    const router = new Router({ linger: LINGER_MS, maxMessageSize: MAX_CONTROL_FRAME_BYTES, ...curve });
    const s = new ZmqControlServer(router, handler, logger, release);
    try {
      await router.bind(endpoint);
    } catch (err) {
      router.close();
      await release();
      throw err;
    }
    s.loop = s.receive();
    return s;
  }

  get endpoint(): string {
    return this.router.lastEndpoint ?? '';
  }

  private async receive(): Promise<void> {
    try {
      for await (const [identity, frame] of this.router) {
        const parsed = parse(requestSchema, frame as Buffer);
        if (!parsed.ok) {
          this.logger.warn({ error: parsed.error }, 'dropped an invalid control request');
          continue;
        }
        const p = this.answer(identity as Buffer, parsed.value).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    } catch (err) {
      if (!this.router.closed) this.logger.error({ err }, 'control server stopped');
    }
  }

  private async answer(identity: Buffer, req: Request): Promise<void> {
    let reply: Reply;
    try {
      const result =
        req.type === 'intent'
          ? await this.handler({ type: 'intent', intent: req.intent as unknown as ControlIntent })
          : await this.handler({ type: 'query', query: req.query as unknown as ControlQuery });
      reply = { v: CONTROL_LINK_VERSION, id: req.id, ok: true, result };
    } catch (err) {
      const app = err instanceof AppError ? err : undefined;
      if (!app) this.logger.error({ err }, 'control request failed');
      reply = {
        v: CONTROL_LINK_VERSION,
        id: req.id,
        ok: false,
        code: app?.code ?? 'INTERNAL',
        message: app?.message ?? 'the JobManager failed; see its log',
        notLeader: isNotLeader(err),
      };
    }
    await this.sender
      .run(() => this.router.send([identity, Buffer.from(JSON.stringify(reply), 'utf8')]))
      .catch((err: unknown) => this.logger.debug({ err }, 'control reply not delivered'));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.sender.drain();
    this.router.close();
    await this.loop;
    await this.releaseZap();
  }
}

/** Options of {@link ZmqControlClient}. */
export interface ControlClientOptions {
  /** Longest a request waits for the leader, across retries. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** Pause before asking again when every JobManager said "not leading". @defaultValue 100 */
  readonly retryMs?: number;
  /**
   * Longest wait for one JobManager's answer. A query then asks the next one; an intent that was
   * delivered but not answered fails with 503 instead, since it may have been applied.
   * @defaultValue 5000
   */
  readonly attemptTimeoutMs?: number;
}

interface Waiter {
  resolve(r: Reply): void;
}

/**
 * {@link ControlLink} over ZeroMQ to one or more JobManagers (one DEALER each). A request goes to
 * the JobManager that answered last as leader; "not leading" moves it to the next one (nothing
 * was applied there), and all of them saying so makes it wait `retryMs` and go round again, until
 * `timeoutMs`. The sockets only queue to live connections (`immediate`), so a request to a dead
 * JobManager fails to send at once and safely moves on too, and is never delivered late when that
 * JobManager comes back. A delivered intent left unanswered is a 503: it may or may not have been
 * applied, so it is never sent twice.
 */
export class ZmqControlClient implements ControlLink {
  private readonly sockets: Dealer[];
  private readonly senders: SerialSender[];
  private readonly loops: Promise<void>[];
  private readonly waiting = new Map<string, Waiter>();
  private preferred = 0;
  private closed = false;

  /** `security`: connect as a CurveZMQ client with the control plane's keys (see {@link ZmqControlServer.bind}). */
  constructor(
    endpoints: readonly string[],
    private readonly logger: Logger,
    private readonly options: ControlClientOptions = {},
    security?: ClientLinkSecurity,
  ) {
    if (endpoints.length === 0) throw new Error('ZmqControlClient needs at least one JobManager endpoint');
    const curve = security
      ? {
          curveServerKey: security.serverPublicKey,
          curvePublicKey: security.keyPair.publicKey,
          curveSecretKey: security.keyPair.secretKey,
        }
      : {};
    this.sockets = endpoints.map((e) => {
      const d = new Dealer({
        routingId: `ctl-${randomUUID()}`,
        linger: 0,
        immediate: true,
        sendTimeout: SEND_TIMEOUT_MS,
        maxMessageSize: MAX_CONTROL_FRAME_BYTES,
        ...curve,
      });
      d.connect(e);
      return d;
    });
    this.senders = this.sockets.map(() => new SerialSender());
    this.loops = this.sockets.map((s) => this.receive(s));
  }

  async propose(intent: ControlIntent): Promise<CommandOutcome> {
    return (await this.request({ type: 'intent', intent })) as CommandOutcome;
  }

  async query<K extends ControlQuery['kind']>(
    query: Extract<ControlQuery, { kind: K }>,
  ): Promise<QueryResults[K]> {
    return (await this.request({ type: 'query', query })) as QueryResults[K];
  }

  private async request(
    body: { type: 'intent'; intent: ControlIntent } | { type: 'query'; query: ControlQuery },
  ): Promise<unknown> {
    const total = this.options.timeoutMs ?? 10_000;
    const deadline = Date.now() + total;
    let tried = 0;
    for (;;) {
      if (this.closed) throw new AppError('STORE_UNAVAILABLE', 'the control link is closed');
      const left = deadline - Date.now();
      if (left <= 0) break;
      const i = this.preferred;
      const out = await this.once(i, body, Math.min(left, this.options.attemptTimeoutMs ?? 5000));
      if (out.kind === 'reply') {
        const reply = out.reply;
        if (reply.ok) return reply.result;
        if (!reply.notLeader) throw new AppError(toCode(reply.code), reply.message);
      } else if (out.kind === 'silent' && body.type === 'intent') {
        throw new AppError(
          'STORE_UNAVAILABLE',
          'the JobManager did not answer in time; the request may or may not have been applied',
        );
      }
      // Not leading, not reachable, or a query unanswered: the next JobManager.
      this.preferred = (i + 1) % this.sockets.length;
      if (++tried % this.sockets.length === 0) {
        const pause = Math.min(this.options.retryMs ?? 100, Math.max(0, deadline - Date.now()));
        await new Promise((r) => setTimeout(r, pause));
      }
    }
    throw new AppError('STORE_UNAVAILABLE', `no JobManager was leading within ${total} ms; retry shortly`);
  }

  /** One request to socket `i`: its reply, or whether it could not be sent or was not answered. */
  private async once(
    i: number,
    body: object,
    ms: number,
  ): Promise<{ kind: 'reply'; reply: Reply } | { kind: 'unsent' } | { kind: 'silent' }> {
    const id = randomUUID();
    let settle: (r: Reply | undefined) => void = () => undefined;
    const answered = new Promise<Reply | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, ms);
      settle = (r) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      };
      this.waiting.set(id, { resolve: settle });
    });
    const frame = Buffer.from(JSON.stringify({ v: CONTROL_LINK_VERSION, id, ...body }), 'utf8');
    const socket = this.sockets[i] as Dealer;
    try {
      await (this.senders[i] as SerialSender).run(() => socket.send(frame));
    } catch {
      settle(undefined);
      await answered;
      return { kind: 'unsent' };
    }
    const reply = await answered;
    return reply ? { kind: 'reply', reply } : { kind: 'silent' };
  }

  private async receive(socket: Dealer): Promise<void> {
    try {
      for await (const [frame] of socket) {
        const parsed = parse(replySchema, frame as Buffer);
        if (!parsed.ok) {
          this.logger.warn({ error: parsed.error }, 'dropped an invalid control reply');
          continue;
        }
        this.waiting.get(parsed.value.id)?.resolve(parsed.value);
      }
    } catch (err) {
      if (!socket.closed) this.logger.error({ err }, 'control link stopped');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiting.values()])
      w.resolve({
        v: CONTROL_LINK_VERSION,
        id: '',
        ok: false,
        code: 'STORE_UNAVAILABLE',
        message: 'the control link is closing',
        notLeader: false,
      });
    await Promise.all(this.senders.map((s) => s.drain()));
    for (const s of this.sockets) s.close();
    await Promise.all(this.loops);
  }
}

function toCode(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL';
}

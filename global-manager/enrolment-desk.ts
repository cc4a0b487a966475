import { Router } from 'zeromq';
import type { Clock } from '../core/clock/clock.js';
import type { Logger } from '../core/log/logger.js';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  type Join,
  type Message,
} from '../core/protocol/index.js';
import { LinkGuard, secretsEqual, type ServerLinkSecurity } from '../core/security/index.js';

/** Largest enrolment request: a join with its running list; anything bigger is dropped by libzmq. */
const MAX_ENROLMENT_MESSAGE_BYTES = 1024 * 1024;

/** Lifecycle: created → running → closed. */
export type EnrolmentDeskState = 'created' | 'running' | 'closed';

/**
 * The GlobalManager's enrolment socket (`cluster.enrolEndpoint`; docs/design/security.md). The
 * one CurveZMQ socket that admits unknown keys, and it does nothing but enrol: a `join` with the
 * join token, the worker's public key and a routing id proven with that key registers the key as
 * the worker's and is answered `enrolled`; anything else is refused or dropped. Because unknown
 * keys never reach the GlobalManager's main socket or Discovery, a routing proof copied from a
 * worker cannot be presented there with a stranger's key.
 */
export class EnrolmentDesk {
  private state: EnrolmentDeskState = 'created';
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly router: Router,
    private readonly guard: LinkGuard,
    private readonly joinToken: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Binds `endpoint`; call {@link run} to start answering. */
  static async create(
    endpoint: string,
    security: ServerLinkSecurity,
    joinToken: string,
    deps: { clock: Clock; logger: Logger },
  ): Promise<EnrolmentDesk> {
    const guard = await LinkGuard.create(security, 'enrolment', deps.logger);
    const router = new Router({
      linger: 200,
      mandatory: true,
      // A worker whose enrolment went unanswered reconnects on a fresh socket under the same
      // routing id (worker/await-enrolment.ts); the answer carries nothing to steal.
      handover: true,
      ...guard.socketOptions(MAX_ENROLMENT_MESSAGE_BYTES),
    });
    try {
      await router.bind(endpoint);
    } catch (err) {
      router.close();
      await guard.close();
      throw err;
    }
    return new EnrolmentDesk(router, guard, joinToken, deps.clock, deps.logger);
  }

  /** The bound endpoint (resolved port when bound to port 0). */
  get endpoint(): string {
    return this.router.lastEndpoint ?? '';
  }

  getState(): EnrolmentDeskState {
    return this.state;
  }

  run(): void {
    if (this.state !== 'created') throw new Error(`EnrolmentDesk.run in state ${this.state}`);
    this.state = 'running';
    this.loop = this.receive();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.router.close();
    await this.loop;
    await this.guard.close();
  }

  private async receive(): Promise<void> {
    try {
      for await (const [identity, frame] of this.router) {
        const decoded = decodeMessage(frame as Buffer);
        if (!decoded.ok || decoded.message.type !== 'join') {
          this.logger.warn(
            { type: decoded.ok ? decoded.message.type : 'invalid' },
            'enrolment: dropped a message',
          );
          continue;
        }
        await this.enrol(identity as Buffer, decoded.message);
      }
    } catch (err) {
      if (this.state === 'running') this.logger.error({ err }, 'enrolment socket stopped');
    }
  }

  /** Checks the token, the key and its proof; enrols; answers. Idempotent for a known key. */
  private async enrol(identity: Buffer, m: Join): Promise<void> {
    const answer = (reply: Message): Promise<void> =>
      this.router.send([identity, encodeMessage(reply)]).catch((err: unknown) => {
        this.logger.debug({ err }, 'enrolment answer not delivered');
      });
    const refuse = (reason: string): Promise<void> => {
      this.logger.warn({ worker: m.workerId, reason }, 'enrolment refused');
      return answer({ type: 'reject', v: PROTOCOL_VERSION, reason, rejoin: false });
    };
    if (m.publicKey === undefined) return refuse('enrolment needs the worker public key');
    const keyring = this.guard.security.keyring;
    const known = keyring.keyOf(m.workerId) === m.publicKey;
    // A key already enrolled for this id needs no token (a restarted worker without it).
    if (!known && (m.joinToken === '' || !secretsEqual(m.joinToken, this.joinToken)))
      return refuse('join token refused');
    if (!this.guard.proves(identity, m.workerId, m.publicKey))
      return refuse('routing id not proven with this key');
    const outcome = keyring.enrol(m.workerId, m.publicKey, this.clock.now());
    if (outcome !== 'enrolled' && outcome !== 'known') return refuse(`key not enrolled: ${outcome}`);
    if (outcome === 'enrolled')
      this.logger.info({ worker: m.workerId, publicKey: m.publicKey }, 'worker key enrolled');
    return answer({ type: 'enrolled', v: PROTOCOL_VERSION, workerId: m.workerId });
  }
}

import type { Command, CommandResult, Message } from '../core/protocol/index.js';
import { PROTOCOL_VERSION } from '../core/protocol/index.js';
import type { LinkIdentity } from '../core/security/index.js';

/** Most command results awaited at once; beyond it the oldest waiter is forgotten. */
const MAX_PENDING_COMMANDS = 10_000;

/** A command relayed to a worker: who asked, and which worker must answer. */
interface PendingCommand {
  readonly requester: Buffer;
  readonly workerId: string;
}

/** What the relay needs of the GlobalManager's link (passed in: the relay never imports it). */
export interface RelayLink {
  /** @returns false when the peer could not be reached (logged by the link, never thrown). */
  send(identity: Buffer, m: Message): Promise<boolean>;
  /** The routing identity of a worker's live session, if it has one. */
  sessionOf(workerId: string): Buffer | undefined;
  /** Tells a worker to leave and ends its session. @returns false when it has no session */
  tellLeave(workerId: string): Promise<boolean>;
}

/**
 * Relays control peers' commands for one worker to that worker's session and its answers back by
 * id. `leave` is the GlobalManager's own business (it owns the session). A worker without a
 * session is answered `unreachable` at once.
 */
export class CommandRelay {
  /** Command id → the control peer waiting for its result. */
  private readonly pending = new Map<string, PendingCommand>();

  /** @param secured whether peers are identified (then only the commanded worker may answer) */
  constructor(
    private readonly link: RelayLink,
    private readonly secured: boolean,
  ) {}

  /** A control peer's command (from `identity`). */
  async command(identity: Buffer, m: Command): Promise<void> {
    const answer = async (outcome: CommandResult['outcome'], reason: string | null): Promise<void> => {
      await this.link.send(identity, {
        type: 'commandResult',
        v: PROTOCOL_VERSION,
        id: m.id,
        workerId: m.workerId,
        outcome,
        reason,
      });
    };
    if (m.command.kind === 'leave') {
      const told = await this.link.tellLeave(m.workerId);
      return answer(told ? 'done' : 'unreachable', told ? null : `worker ${m.workerId} is not connected`);
    }
    const session = this.link.sessionOf(m.workerId);
    if (!session) return answer('unreachable', `worker ${m.workerId} is not connected`);
    this.pending.set(m.id, { requester: identity, workerId: m.workerId });
    if (this.pending.size > MAX_PENDING_COMMANDS) {
      // Requesters time out on their own; the oldest entries are the ones nobody waits for any more.
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
    if (!(await this.link.send(session, m))) {
      this.pending.delete(m.id);
      await answer('unreachable', `worker ${m.workerId} could not be reached`);
    }
  }

  /** A worker's answer: relayed to the peer that asked, if it still waits. */
  async result(m: CommandResult, who: LinkIdentity | undefined): Promise<void> {
    const pending = this.pending.get(m.id);
    if (!pending) return;
    // Only the worker the command went to answers it.
    if (this.secured && (who?.kind !== 'worker' || who.workerId !== pending.workerId)) return;
    this.pending.delete(m.id);
    await this.link.send(pending.requester, m);
  }
}

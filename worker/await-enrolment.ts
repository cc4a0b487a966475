import type { Logger } from '../core/log/logger.js';
import type { Message } from '../core/protocol/index.js';
import type { DealerChannel } from './dealer-channel.js';

/** Pause before an unanswered enrolment request is sent again (the GlobalManager may be starting). */
const ENROL_RESEND_MS = 3000;

/**
 * Enrols this worker's key at the GlobalManager's enrolment socket: a `join` with the token and
 * the key, repeated every few seconds until answered (the GlobalManager may not be up yet). The
 * socket is closed when this returns; `done` is told then (the agent forgets the socket).
 * @param ask the join message to send (built afresh each time)
 * @returns undefined once enrolled, else why not (a refusal's reason, or `no answer` when the
 *   socket closed first)
 */
export async function awaitEnrolment(
  desk: DealerChannel,
  ask: () => Message,
  workerId: string,
  logger: Logger,
  done: () => void,
): Promise<string | undefined> {
  const send = (): void => desk.send(ask(), 'enrol');
  send();
  const resend = setInterval(send, ENROL_RESEND_MS);
  let refusal: string | undefined;
  let enrolled = false;
  try {
    for await (const m of desk.messages()) {
      if (m.type === 'enrolled' && m.workerId === workerId) {
        enrolled = true;
        break;
      }
      if (m.type === 'reject') {
        refusal = m.reason;
        break;
      }
    }
  } catch (err) {
    logger.error({ err }, 'enrolment connection failed');
  } finally {
    clearInterval(resend);
    desk.close();
    done();
  }
  return enrolled ? undefined : (refusal ?? 'no answer');
}

import type { Logger } from '../core/log/logger.js';
import type { Message } from '../core/protocol/index.js';
import type { DealerChannel } from './dealer-channel.js';

/** Pause before an unanswered enrolment request is sent again (the GlobalManager may be starting). */
const ENROL_RESEND_MS = 3000;
/**
 * Unanswered sends on one socket before it is replaced by a fresh one. libzmq does not retry a
 * CurveZMQ handshake that failed, and a send waits while the peer is unreachable, so a
 * connection that went wrong once would otherwise leave the worker waiting for good, silently.
 */
const SENDS_PER_SOCKET = 4;

/** Timing of {@link awaitEnrolment}; the defaults suit a real cluster, tests shorten them. */
export interface EnrolmentTiming {
  readonly resendMs: number;
  readonly sendsPerSocket: number;
}

const DEFAULT_TIMING: EnrolmentTiming = { resendMs: ENROL_RESEND_MS, sendsPerSocket: SENDS_PER_SOCKET };

/**
 * Enrols this worker's key at the GlobalManager's enrolment socket: a `join` with the token and
 * the key, repeated every few seconds until answered (the GlobalManager may not be up yet). After
 * a few unanswered sends the socket is closed and a fresh one opened (a new connection and
 * handshake). Each socket is closed when done with; `onDesk` is told the current one, and
 * undefined at the end (the agent closes it on shutdown, which ends this with `no answer`; so does
 * `stopping`, between sockets).
 * @param openDesk opens a socket to the enrolment endpoint
 * @param ask the join message to send (built afresh each time)
 * @returns undefined once enrolled, else why not (a refusal's reason, or `no answer` when the
 *   socket was closed from outside)
 */
export async function awaitEnrolment(
  openDesk: () => DealerChannel,
  ask: () => Message,
  workerId: string,
  logger: Logger,
  onDesk: (desk: DealerChannel | undefined) => void,
  stopping: AbortSignal,
  timing: EnrolmentTiming = DEFAULT_TIMING,
): Promise<string | undefined> {
  try {
    for (let socket = 1; ; socket++) {
      // The agent is closing: no new socket (it would outlive the agent).
      if (stopping.aborted) return 'no answer';
      const desk = openDesk();
      onDesk(desk);
      const outcome = await onOneSocket(desk, ask, workerId, logger, timing);
      if (outcome !== 'stalled') return outcome === 'enrolled' ? undefined : outcome.refusal;
      logger.warn(
        { sends: timing.sendsPerSocket, seconds: (timing.sendsPerSocket * timing.resendMs) / 1000, socket },
        'enrolment unanswered; reconnecting with a fresh socket',
      );
    }
  } finally {
    onDesk(undefined);
  }
}

/** Sends and resends on one socket until an answer, a close from outside, or too many sends. */
async function onOneSocket(
  desk: DealerChannel,
  ask: () => Message,
  workerId: string,
  logger: Logger,
  timing: EnrolmentTiming,
): Promise<'enrolled' | 'stalled' | { refusal: string }> {
  let sends = 0;
  let stalled = false;
  const send = (): void => {
    if (sends >= timing.sendsPerSocket) {
      stalled = true;
      desk.close(); // ends the loop below
      return;
    }
    sends++;
    desk.send(ask(), 'enrol');
  };
  send();
  const resend = setInterval(send, timing.resendMs);
  try {
    for await (const m of desk.messages()) {
      if (m.type === 'enrolled' && m.workerId === workerId) return 'enrolled';
      if (m.type === 'reject') return { refusal: m.reason };
    }
  } catch (err) {
    logger.error({ err }, 'enrolment connection failed');
  } finally {
    clearInterval(resend);
    desk.close();
  }
  return stalled ? 'stalled' : { refusal: 'no answer' };
}

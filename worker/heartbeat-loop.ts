import type { Clock } from '../core/clock/clock.js';
import { PROTOCOL_VERSION } from '../core/protocol/index.js';
import type { DealerChannel } from './dealer-channel.js';

/**
 * Sends a heartbeat to the GlobalManager every `intervalMs` until `signal` aborts. Keyed: while
 * the manager is unreachable only the latest heartbeat waits to be sent.
 */
export async function heartbeatLoop(
  manager: DealerChannel,
  workerId: string,
  intervalMs: number,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await clock.sleep(intervalMs, signal);
    } catch {
      return;
    }
    manager.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId, at: clock.now() }, 'heartbeat');
  }
}

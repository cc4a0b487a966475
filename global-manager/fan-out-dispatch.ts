import type { PlacedRef } from '../core/control/index.js';
import { PROTOCOL_VERSION, type Dispatch, type Message } from '../core/protocol/index.js';

/**
 * Splits a leader's dispatch into one `assign` and one `stop` per worker and sends each to the
 * worker's live session. A worker without a session is skipped: if it is joining right now, its
 * sync (the leader's answer) is its full desired set, and the leader re-sends anything still
 * unconfirmed later; nothing to keep here.
 * @param sessionOf the routing identity of a worker's live session, if it has one
 * @param send sends one message (never throws)
 */
export async function fanOutDispatch(
  m: Dispatch,
  sessionOf: (workerId: string) => Buffer | undefined,
  send: (identity: Buffer, m: Message) => Promise<boolean>,
): Promise<void> {
  const assign = new Map<string, Dispatch['assign']>();
  for (const a of m.assign) assign.set(a.workerId, [...(assign.get(a.workerId) ?? []), a]);
  for (const [workerId, tasks] of assign) {
    const session = sessionOf(workerId);
    if (!session) continue;
    await send(session, {
      type: 'assign',
      v: PROTOCOL_VERSION,
      tasks: tasks.map(({ workerId: _w, ...t }) => t),
    });
  }
  await forwardStops(m.stop, sessionOf, send);
}

async function forwardStops(
  stops: readonly PlacedRef[],
  sessionOf: (workerId: string) => Buffer | undefined,
  send: (identity: Buffer, m: Message) => Promise<boolean>,
): Promise<void> {
  const byWorker = new Map<string, PlacedRef[]>();
  for (const s of stops) byWorker.set(s.workerId, [...(byWorker.get(s.workerId) ?? []), s]);
  for (const [workerId, refs] of byWorker) {
    const session = sessionOf(workerId);
    if (!session) continue;
    await send(session, {
      type: 'stop',
      v: PROTOCOL_VERSION,
      tasks: refs.map(({ job, task, attempt }) => ({ job, task, attempt })),
    });
  }
}

import type { Stores } from '../core/store/store-ports.js';

/** What the liveness sweep knows of the workers this GlobalManager hears from. */
export interface LivenessView {
  /** Live sessions by worker: when each was last heard. */
  readonly sessions: ReadonlyMap<string, { readonly lastSeen: number }>;
  /** Workers whose join waits for the leader: alive, not silent. */
  readonly joining: { has(workerId: string): boolean };
  /** Last heartbeat of workers without a session (this GlobalManager restarted). */
  readonly heardFrom: ReadonlyMap<string, number>;
  /** When this GlobalManager started running. */
  readonly runAt: number;
}

/**
 * The workers silent past `timeout` at `now`: sessions not heard from within it, and, once this
 * GlobalManager has run a full timeout, workers the records call `ready` or `draining` that it has
 * not heard from within it either (a worker known only from the records gets a full timeout
 * counted from when this GlobalManager started, and any heartbeat of it counts as alive).
 */
export async function silentWorkers(
  now: number,
  timeout: number,
  view: LivenessView,
  workers: Stores['workers'],
): Promise<string[]> {
  const silent = [...view.sessions].filter(([, s]) => now - s.lastSeen > timeout).map(([id]) => id);
  if (now - view.runAt > timeout) {
    for (const w of await workers.list()) {
      if (w.state !== 'ready' && w.state !== 'draining') continue;
      if (view.sessions.has(w.id) || view.joining.has(w.id) || silent.includes(w.id)) continue;
      const heard = view.heardFrom.get(w.id);
      if (heard === undefined || now - heard > timeout) silent.push(w.id);
    }
  }
  return silent;
}

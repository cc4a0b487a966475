import type { Dispatch } from '../protocol/messages.js';

/** The part of a dispatch a sender fills in (type and version are the link's business). */
export type DispatchBody = Pick<Dispatch, 'assign' | 'stop'>;

/**
 * The leading JobManager → GlobalManager: run or stop task attempts on workers. Delivery is best
 * effort: every worker gets its full desired set whenever it (re)joins, and a new leader re-sends
 * every placed task not yet running, so a lost dispatch only delays.
 */
export interface DispatchLink {
  dispatch(body: DispatchBody): Promise<void>;
  close(): Promise<void>;
}

/** In-process links for component tests and for wiring fakes: what is sent is recorded. */
export class RecordingLinks implements DispatchLink {
  readonly dispatched: DispatchBody[] = [];
  private dispatchListeners: ((body: DispatchBody) => void)[] = [];

  dispatch(body: DispatchBody): Promise<void> {
    this.dispatched.push(body);
    for (const l of this.dispatchListeners) l(body);
    return Promise.resolve();
  }

  /** Lets a test (or an in-process GlobalManager stand-in) see dispatches as they happen. */
  onDispatch(listener: (body: DispatchBody) => void): void {
    this.dispatchListeners.push(listener);
  }

  close(): Promise<void> {
    this.dispatchListeners = [];
    return Promise.resolve();
  }
}

import type { Dispatch } from '../protocol/messages.js';

/** The part of a dispatch a sender fills in (type and version are the link's business). */
export type DispatchBody = Pick<Dispatch, 'assign' | 'stop'>;

/**
 * JobManager/Discovery → GlobalManager: run or stop task attempts on workers. Delivery is best
 * effort: the GlobalManager re-sends every worker its full desired set whenever it (re)joins, and
 * the JobManager re-dispatches jobs stuck in `scheduled`, so a lost dispatch only delays.
 */
export interface DispatchLink {
  dispatch(body: DispatchBody): Promise<void>;
  close(): Promise<void>;
}

/**
 * GlobalManager/Discovery → JobManager: "capacity or membership changed, schedule again".
 * A hint, never waited on: a nudge that cannot be delivered at once is dropped, and the
 * JobManager's safety timer covers it.
 */
export interface NudgeLink {
  nudge(reason: string): void;
  close(): Promise<void>;
}

/** The JobManager's end of {@link NudgeLink}. */
export interface NudgeListener {
  onNudge(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

/** In-process links for component tests and for wiring fakes: what is sent is recorded. */
export class RecordingLinks implements DispatchLink, NudgeLink, NudgeListener {
  readonly dispatched: DispatchBody[] = [];
  readonly nudges: string[] = [];
  private listeners: ((reason: string) => void)[] = [];
  private dispatchListeners: ((body: DispatchBody) => void)[] = [];

  dispatch(body: DispatchBody): Promise<void> {
    this.dispatched.push(body);
    for (const l of this.dispatchListeners) l(body);
    return Promise.resolve();
  }

  nudge(reason: string): void {
    this.nudges.push(reason);
    for (const l of this.listeners) l(reason);
  }

  onNudge(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  /** Lets a test (or an in-process GlobalManager stand-in) see dispatches as they happen. */
  onDispatch(listener: (body: DispatchBody) => void): void {
    this.dispatchListeners.push(listener);
  }

  close(): Promise<void> {
    this.listeners = [];
    this.dispatchListeners = [];
    return Promise.resolve();
  }
}

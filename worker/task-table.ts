import { taskRefKey, type TaskRef } from '../core/protocol/index.js';
import { isEnded, isForward, type ReportedState } from './report-state.js';

/** What the agent knows about one attempt it was given or found. */
export interface TaskEntry {
  readonly ref: TaskRef;
  readonly state: ReportedState;
  readonly exitCode: number | null;
  readonly reason: string | null;
  /** The container (or simulated task) is gone: stopped, or pruned after its end was acknowledged. */
  readonly removed: boolean;
}

interface MutableEntry {
  ref: TaskRef;
  state: ReportedState;
  exitCode: number | null;
  reason: string | null;
  removed: boolean;
  /** Tail of this ref's runtime operations: start, stop and remove run one after another. */
  op: Promise<void>;
}

/**
 * The agent's table of task attempts, keyed by ref. It enforces the one rule every other part
 * relies on: a ref's state only moves forward (`starting` → `running` → an end), so duplicated,
 * late or reordered runtime events and commands cannot undo what was already reported.
 */
export class TaskTable {
  private readonly entries = new Map<string, MutableEntry>();

  get(ref: TaskRef): TaskEntry | undefined {
    return this.entries.get(taskRefKey(ref));
  }

  /**
   * Moves `ref` to `state` if that is forward (creating the entry for an unknown ref).
   * @returns the updated entry, or undefined when the move was backward or sideways and ignored
   */
  advance(
    ref: TaskRef,
    state: ReportedState,
    exitCode: number | null,
    reason: string | null,
  ): TaskEntry | undefined {
    const key = taskRefKey(ref);
    const entry = this.entries.get(key);
    if (!entry) {
      const created: MutableEntry = { ref, state, exitCode, reason, removed: false, op: Promise.resolve() };
      this.entries.set(key, created);
      return created;
    }
    if (!isForward(entry.state, state)) return undefined;
    entry.state = state;
    entry.exitCode = exitCode;
    entry.reason = reason;
    return entry;
  }

  /**
   * Runs `operation` on `ref` after the ones already queued for it; failures are passed to
   * `onError` and do not block later operations.
   */
  enqueue(ref: TaskRef, operation: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
    const entry = this.entries.get(taskRefKey(ref));
    if (!entry) return Promise.resolve();
    entry.op = entry.op.then(operation).catch(onError);
    return entry.op;
  }

  markRemoved(ref: TaskRef): void {
    const entry = this.entries.get(taskRefKey(ref));
    if (entry) entry.removed = true;
  }

  forget(ref: TaskRef): void {
    this.entries.delete(taskRefKey(ref));
  }

  /** Entries not yet ended: starting or running. */
  active(): TaskEntry[] {
    return [...this.entries.values()].filter((e) => !isEnded(e.state));
  }

  all(): TaskEntry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Forgets the oldest ended-and-removed entries beyond `max`, bounding memory on a long-lived
   * worker. Forgetting is safe once the manager has stopped asking for an attempt; the cap is a
   * backstop for a manager that never sends a `sync` leaving them out.
   */
  trimEnded(max: number): void {
    let ended = 0;
    for (const e of this.entries.values()) if (isEnded(e.state) && e.removed) ended++;
    for (const [key, e] of this.entries) {
      if (ended <= max) return;
      if (isEnded(e.state) && e.removed) {
        this.entries.delete(key);
        ended--;
      }
    }
  }

  /** Resolves when every queued runtime operation has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.op));
  }
}

/**
 * A leader's one pending wake-up: a service's reconcile asked to look again at a time (a rolling
 * replace waiting for a grace period or a gateway's report). When it fires, `due` is set and
 * `fire` is called (the leader kicks a cycle, which clears `due`). Arming replaces any earlier
 * wake-up; the timer never holds the process open.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  /** The wake-up fired and no cycle has handled it yet. */
  due = false;

  /** @param fire called when the wake-up fires */
  constructor(private readonly fire: () => void) {}

  /**
   * Wakes at `at` (clock ms; at least 10 ms from now), replacing any earlier wake-up; undefined
   * only cancels it.
   * @param now the clock's time, read only when a wake-up is armed
   */
  arm(at: number | undefined, now: () => number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.due = true;
        this.fire();
      },
      Math.max(10, at - now()),
    );
    this.timer.unref();
  }

  /** Cancels the wake-up (closing). */
  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * A binary min-heap of task-finish events keyed by (time, insertion order): the simulator's
 * future. Ties pop in insertion order, so a run is deterministic without comparing payloads.
 */

/** A min-heap of `(atMs, value)` pairs; equal times pop first-in first-out. */
export class EventHeap {
  private times: number[] = [];
  private seqs: number[] = [];
  private values: number[] = [];
  private nextSeq = 0;

  /** Number of pending events. */
  get size(): number {
    return this.times.length;
  }

  /** Time of the earliest event; `Infinity` when empty. */
  peekTime(): number {
    return this.times.length === 0 ? Infinity : this.times[0]!;
  }

  /** Adds an event. */
  push(atMs: number, value: number): void {
    const { times, seqs, values } = this;
    let i = times.length;
    times.push(atMs);
    seqs.push(this.nextSeq++);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the earliest event's value. @throws RangeError when empty */
  pop(): number {
    const { times, seqs, values } = this;
    if (times.length === 0) throw new RangeError('EventHeap.pop on an empty heap');
    const top = values[0]!;
    const last = times.length - 1;
    this.swap(0, last);
    times.pop();
    seqs.pop();
    values.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < times.length && this.less(l, m)) m = l;
      if (r < times.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    const { times, seqs, values } = this;
    [times[a], times[b]] = [times[b]!, times[a]!];
    [seqs[a], seqs[b]] = [seqs[b]!, seqs[a]!];
    [values[a], values[b]] = [values[b]!, values[a]!];
  }
}

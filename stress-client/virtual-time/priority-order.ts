/**
 * The `priority` strategy's job order (`priority-aged` in core/scheduler/orderings.ts) produced
 * lazily, so a round can stop at the first job that blocks the rest without ranking the whole
 * queue. The order is effective priority descending, then `submittedAtMs`, then `jobId`. Within
 * one base priority, effective priority never increases with `submittedAtMs` (every step of
 * `p + aging × max(0, now − sub) / 1000` is monotone, floating point included), so jobs of one
 * priority are always in (submittedAtMs, jobId) order whatever `now` is: each priority keeps one
 * list in that order, and the lists are merged at `now` with the scheduler's own comparison.
 */
import { effectivePriority, type JobRequest } from '../../core/scheduler/index.js';

/** True when `a` is placed before `b` by the priority-aged ordering at the given effective priorities. */
function before(a: JobRequest, ea: number, b: JobRequest, eb: number): boolean {
  if (ea !== eb) return ea > eb;
  if (a.submittedAtMs !== b.submittedAtMs) return a.submittedAtMs < b.submittedAtMs;
  return a.jobId < b.jobId;
}

/** Waiting jobs (by index into `requests`) in the priority-aged order of any instant. */
export class PriorityOrder {
  /** Base priority → job indices in (submittedAtMs, jobId) order; may hold jobs no longer waiting. */
  private readonly lists = new Map<number, number[]>();

  constructor(private readonly requests: readonly JobRequest[]) {}

  /** Adds an arriving job (arrivals come in submittedAtMs order). */
  add(j: number): void {
    const r = this.requests[j]!;
    let list = this.lists.get(r.priority);
    if (list === undefined) this.lists.set(r.priority, (list = []));
    let at = list.length;
    while (at > 0) {
      const prev = this.requests[list[at - 1]!]!;
      if (
        prev.submittedAtMs < r.submittedAtMs ||
        (prev.submittedAtMs === r.submittedAtMs && prev.jobId < r.jobId)
      )
        break;
      at--;
    }
    list.splice(at, 0, j);
  }

  /** Drops jobs for which `keep` is false. */
  retain(keep: (j: number) => boolean): void {
    for (const [p, list] of this.lists) {
      const kept = list.filter(keep);
      if (kept.length === 0) this.lists.delete(p);
      else this.lists.set(p, kept);
    }
  }

  /**
   * The jobs for which `include` holds, in the order the scheduler ranks them at `nowMs`. Stop
   * iterating early to save the rest of the merge.
   */
  *ranked(nowMs: number, agingPerSecond: number, include: (j: number) => boolean): Generator<number> {
    const lists = [...this.lists.values()];
    const at = new Int32Array(lists.length);
    const effective = new Float64Array(lists.length);
    const advance = (k: number): void => {
      const list = lists[k]!;
      let i = at[k]!;
      while (i < list.length && !include(list[i]!)) i++;
      at[k] = i;
      if (i < list.length) effective[k] = effectivePriority(this.requests[list[i]!]!, nowMs, agingPerSecond);
    };
    for (let k = 0; k < lists.length; k++) advance(k);
    for (;;) {
      let best = -1;
      for (let k = 0; k < lists.length; k++) {
        if (at[k]! >= lists[k]!.length) continue;
        if (
          best < 0 ||
          before(
            this.requests[lists[k]![at[k]!]!]!,
            effective[k]!,
            this.requests[lists[best]![at[best]!]!]!,
            effective[best]!,
          )
        )
          best = k;
      }
      if (best < 0) return;
      const j = lists[best]![at[best]!]!;
      at[best]!++;
      advance(best);
      yield j;
    }
  }
}

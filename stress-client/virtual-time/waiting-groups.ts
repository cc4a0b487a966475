/**
 * Waiting jobs that were planned before, grouped by what decides whether they may place now
 * (their tasks' distinct shapes and their totals), so a round tests a group once instead of
 * every job: openb's 8,152 pods have 98 shapes. Jobs leave lazily (counted, skipped, compacted
 * when half a group is gone).
 */
import type { SimFleet } from './sim-fleet.js';

/** What grouping reads of a job. */
export interface GroupedJob {
  state: 'pending' | 'waiting' | 'running' | 'finished' | 'failed';
  readonly cores: number;
  readonly memoryBytes: number;
  /** Distinct (cores, memory) pairs of the unpinned tasks, flattened. */
  readonly shapes: Float64Array;
}

/** Jobs of one signature, ascending by index. */
export class JobGroup {
  readonly jobs: number[] = [];
  /** Entries of `jobs` no longer waiting. */
  dead = 0;
  private testedAt = -1;
  private fits = false;

  constructor(
    /** Totals over the tasks; `shapes` as {@link GroupedJob.shapes}. */
    readonly cores: number,
    readonly memoryBytes: number,
    readonly shapes: Float64Array,
  ) {}

  /**
   * False when a job of the group provably cannot be placed now: a task fits no worker's free
   * cores and memory, or the tasks need more than the fleet has free. Cached per booking state.
   */
  mayPlace(fleet: SimFleet): boolean {
    if (this.testedAt === fleet.bookings) return this.fits;
    this.testedAt = fleet.bookings;
    this.fits =
      this.cores <= fleet.totalCores - fleet.usedCores &&
      this.memoryBytes <= fleet.totalMemoryBytes - fleet.usedMemoryBytes &&
      this.allShapesFit(fleet);
    return this.fits;
  }

  /** True when some task fits a worker now (a job of which no task fits takes nothing). */
  someTaskFits(fleet: SimFleet): boolean {
    const s = this.shapes;
    if (s.length === 0) return true;
    for (let k = 0; k < s.length; k += 2) if (fleet.fitsNow(s[k]!, s[k + 1]!)) return true;
    return false;
  }

  private allShapesFit(fleet: SimFleet): boolean {
    const s = this.shapes;
    for (let k = 0; k < s.length; k += 2) if (!fleet.fitsNow(s[k]!, s[k + 1]!)) return false;
    return true;
  }
}

/** The groups of the waiting, planned-before, unpinned jobs. */
export class WaitingGroups {
  private readonly bySignature = new Map<string, JobGroup>();
  private readonly groupOf: (JobGroup | undefined)[];
  /** Every group, largest single shape first (cores, then memory, descending). */
  readonly bySize: JobGroup[] = [];

  constructor(private readonly jobs: readonly GroupedJob[]) {
    this.groupOf = new Array<JobGroup | undefined>(jobs.length);
  }

  /** Adds job `j` (waiting); jobs must be added in ascending order within a signature. */
  add(j: number): void {
    if (this.groupOf[j] !== undefined) return;
    const job = this.jobs[j]!;
    const key = `${job.cores}/${job.memoryBytes}/${job.shapes.join(',')}`;
    let g = this.bySignature.get(key);
    if (g === undefined) {
      g = new JobGroup(job.cores, job.memoryBytes, job.shapes);
      this.bySignature.set(key, g);
      let at = this.bySize.length;
      while (at > 0 && !largerFirst(this.bySize[at - 1]!, g)) at--;
      this.bySize.splice(at, 0, g);
    }
    const list = g.jobs;
    let at = list.length;
    while (at > 0 && list[at - 1]! > j) at--;
    list.splice(at, 0, j);
    this.groupOf[j] = g;
  }

  /** Job `j` left the waiting state. */
  left(j: number): void {
    const g = this.groupOf[j];
    if (g === undefined) return;
    this.groupOf[j] = undefined;
    if (++g.dead * 2 > g.jobs.length) {
      let n = 0;
      for (const k of g.jobs) if (this.jobs[k]!.state === 'waiting') g.jobs[n++] = k;
      g.jobs.length = n;
      g.dead = 0;
    }
  }
}

/** Decreasing order of groups: first shape's cores, then memory, descending. */
function largerFirst(a: JobGroup, b: JobGroup): boolean {
  const ac = a.shapes[0] ?? 0;
  const bc = b.shapes[0] ?? 0;
  if (ac !== bc) return ac > bc;
  return (a.shapes[1] ?? 0) >= (b.shapes[1] ?? 0);
}

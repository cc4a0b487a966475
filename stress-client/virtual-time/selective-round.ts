/**
 * JobManager rounds that plan only the jobs whose outcome can differ from "stays waiting", with
 * the same placements and failures as planning the whole window at once (the simulator's
 * `replanAll` path; a property test compares the two). Deep queues made the whole-window round
 * the simulator's cost: every event re-planned thousands of jobs and formatted a reason for each.
 *
 * Why leaving a job out changes nothing: a job that cannot be placed leaves no trace in a plan (it
 * takes nothing, or its tentative placements are rolled back before the next job, in the orders
 * below), unless it blocks the jobs ranked after it (`priority`). A job is left out only when it
 * has been planned before (so it is not one that can never be placed: that fails on its first
 * plan), pins nothing, and provably fails now: a task fits no worker's free cores and memory, or
 * its tasks need more cores or memory than the fleet has free (see {@link JobGroup.mayPlace}).
 * Both tests stay true while jobs are booked, so they hold at the job's turn too.
 *
 * The window is planned in chunks, in the strategy's order, booking each chunk before the next
 * and testing each job against the bookings so far; a chunk of jobs in plan order gives the same
 * placements as the same jobs inside a longer plan. Reasons of jobs left waiting are not kept up
 * to date here: the simulator asks for them once at the end (see simulate.ts).
 *
 * - as-submitted orderings (first-fit, best-fit, worst-fit, spread, no-scheduler): the window in
 *   submission order, jobs that provably fail left out.
 * - `priority` (head-of-line blocking): the window in the priority-aged order, up to the first
 *   job that provably fails (it blocks every later one) or the first blocker a chunk reports;
 *   jobs never planned after that point are only checked for "can never be placed".
 * - decreasing orderings: when every job is one unpinned task, the window largest first (cores,
 *   then memory, then submission: the scheduler's key), jobs that provably fail left out;
 *   otherwise tasks of different jobs interleave in one plan, so one plan of the window without
 *   the jobs none of whose tasks fits anywhere (they take nothing).
 */
import type { JobRequest, Strategy } from '../../core/scheduler/index.js';
import { PriorityOrder } from './priority-order.js';
import type { SimFleet } from './sim-fleet.js';
import { WaitingGroups, type GroupedJob, type JobGroup } from './waiting-groups.js';

/** What a round needs to know of a job. */
export interface RoundJob extends GroupedJob {
  /** Planned (or checked for never-fits) at least once. */
  tried: boolean;
  /** Some task names a worker. */
  readonly pinned: boolean;
  readonly request: JobRequest;
  /** Number of tasks. */
  readonly taskCount: number;
}

/** Outcome of planning and booking one batch. */
export interface BatchOutcome {
  /** Tasks placed. */
  readonly placed: number;
  /** Jobs failed as never placeable. */
  readonly failed: number;
  /** A job failed for capacity on an unpinned task (blocks the rest under head-of-line blocking). */
  readonly blocked: boolean;
}

/** The simulator's side of a round. */
export interface RoundHost {
  /** Waiting job indices, ascending (submission order). */
  readonly waiting: readonly number[];
  /** The round considers `waiting[0 .. windowLength)`. */
  readonly windowLength: number;
  /** The scheduler's "now" (ms since the epoch). */
  readonly nowMs: number;
  /** Plans `batch` (job indices, in plan order) and books the placements. */
  run(batch: readonly number[]): BatchOutcome;
  /** Plans `batch` without booking anything; fails the jobs that can never be placed; returns how many. */
  probe(batch: readonly number[]): number;
}

/** First chunk size; each next chunk is twice as large, so a round makes O(log window) plans. */
const FIRST_CHUNK = 8;

/** The selective rounds of one simulation; told of every arrival, plan and departure. */
export class SelectiveRounds {
  private readonly groups: WaitingGroups;
  private readonly order: PriorityOrder | undefined;
  /** Arrived and never planned, ascending; compacted on use. */
  private untried: number[] = [];
  /** Planned before and pinning a worker: always planned again. */
  private pinned: number[] = [];
  /** Every job is one unpinned task. */
  private readonly simple: boolean;
  /** During a round the lists being walked must not change: changes wait here until its end. */
  private inRound = false;
  private readonly plannedLater: number[] = [];
  private readonly leftLater: number[] = [];
  /** Departures since the priority lists were last cleaned. */
  private leftSinceRetain = 0;

  constructor(
    private readonly jobs: readonly RoundJob[],
    private readonly strategy: Strategy,
    private readonly fleet: SimFleet,
    private readonly agingPerSecond: number,
  ) {
    this.groups = new WaitingGroups(jobs);
    this.order = strategy.headOfLineBlocking ? new PriorityOrder(jobs.map((j) => j.request)) : undefined;
    this.simple = jobs.every((j) => j.taskCount === 1 && !j.pinned);
  }

  /** Job `j` arrived (in index order). */
  arrive(j: number): void {
    this.untried.push(j);
    this.order?.add(j);
  }

  /** Job `j` was in a plan or a probe and still waits. */
  planned(j: number): void {
    if (this.inRound) {
      this.plannedLater.push(j);
      return;
    }
    const job = this.jobs[j]!;
    if (job.pinned) {
      if (!this.pinned.includes(j)) this.pinned.push(j);
    } else this.groups.add(j);
  }

  /** Job `j` stopped waiting (placed or failed). */
  left(j: number): void {
    if (this.inRound) {
      this.leftLater.push(j);
      return;
    }
    this.groups.left(j);
    if (this.order !== undefined && ++this.leftSinceRetain >= 64) {
      this.order.retain((k) => this.jobs[k]!.state === 'waiting');
      this.leftSinceRetain = 0;
    }
  }

  /** One round; returns tasks placed and jobs failed, as the whole-window plan would have. */
  round(host: RoundHost): { placed: number; failed: number } {
    this.inRound = true;
    try {
      return this.plan(host);
    } finally {
      this.inRound = false;
      for (const j of this.plannedLater) if (this.jobs[j]!.state === 'waiting') this.planned(j);
      for (const j of this.leftLater) this.left(j);
      this.plannedLater.length = 0;
      this.leftLater.length = 0;
    }
  }

  private plan(host: RoundHost): { placed: number; failed: number } {
    const last = host.windowLength > 0 ? host.waiting[host.windowLength - 1]! : -1;
    this.untried = this.untried.filter((j) => !this.jobs[j]!.tried && this.jobs[j]!.state === 'waiting');
    this.pinned = this.pinned.filter((j) => this.jobs[j]!.state === 'waiting');
    const untried = this.untried.filter((j) => j <= last);
    if (this.strategy.headOfLineBlocking) return this.priorityRound(host, last);
    if (this.strategy.ordering !== 'decreasing') {
      return this.inChunks(host, this.bySubmission(untried, last));
    }
    if (this.simple) return this.inChunks(host, this.largestFirst(untried, last));
    const batch = [...untried, ...this.pinned.filter((j) => j <= last)];
    for (const g of this.groups.bySize) {
      if (g.jobs.length - g.dead === 0 || !g.someTaskFits(this.fleet)) continue;
      for (const j of g.jobs) if (j <= last && this.jobs[j]!.state === 'waiting') batch.push(j);
    }
    if (batch.length === 0) return { placed: 0, failed: 0 };
    const r = host.run(batch.sort((a, b) => a - b));
    return { placed: r.placed, failed: r.failed };
  }

  private priorityRound(host: RoundHost, last: number): { placed: number; failed: number } {
    const taken = new Set<number>();
    const include = (j: number): boolean => j <= last && this.jobs[j]!.state === 'waiting';
    const ranked = this.order!.ranked(host.nowMs, this.agingPerSecond, include);
    const provablyFails = (j: number): boolean => {
      const job = this.jobs[j]!;
      return job.tried && !job.pinned && !mayPlace(job, this.fleet);
    };
    const r = this.inChunks(host, ranked, provablyFails, (j) => taken.add(j));
    let failed = r.failed;
    if (r.stopped) {
      // Everything after the blocker is blocked; only "can never be placed" can still happen.
      const unseen = this.untried.filter((j) => j <= last && !taken.has(j) && !this.jobs[j]!.tried);
      if (unseen.length > 0) failed += host.probe(unseen);
    }
    return { placed: r.placed, failed };
  }

  /** Plans `ranked` jobs in chunks; under head-of-line blocking stops at a (provable) blocker. */
  private inChunks(
    host: RoundHost,
    ranked: Iterable<number>,
    stopAt?: (j: number) => boolean,
    onTaken?: (j: number) => void,
  ): { placed: number; failed: number; stopped: boolean } {
    let placed = 0;
    let failed = 0;
    let chunk: number[] = [];
    let size = FIRST_CHUNK;
    const flush = (): boolean => {
      if (chunk.length === 0) return false;
      const r = host.run(chunk);
      placed += r.placed;
      failed += r.failed;
      chunk = [];
      size *= 2;
      return this.strategy.headOfLineBlocking && r.blocked;
    };
    for (const j of ranked) {
      if (stopAt?.(j) === true) {
        flush();
        return { placed, failed, stopped: true };
      }
      chunk.push(j);
      onTaken?.(j);
      if (chunk.length >= size && flush()) return { placed, failed, stopped: true };
    }
    const stopped = flush();
    return { placed, failed, stopped };
  }

  /**
   * The window's candidates in submission order: untried and pinned jobs, and the jobs of the
   * groups that may place, tested again at each step (a group that stops fitting is dropped).
   */
  private *bySubmission(untried: readonly number[], last: number): Generator<number> {
    const sources: { list: readonly number[]; at: number; group: JobGroup | undefined }[] = [
      { list: untried, at: 0, group: undefined },
      { list: this.pinned, at: 0, group: undefined },
    ];
    for (const g of this.groups.bySize) {
      if (g.jobs.length > g.dead && g.mayPlace(this.fleet)) sources.push({ list: g.jobs, at: 0, group: g });
    }
    for (;;) {
      let best = -1;
      let bestJob = Infinity;
      for (let k = 0; k < sources.length; k++) {
        const s = sources[k]!;
        if (s.group !== undefined && !s.group.mayPlace(this.fleet)) s.at = s.list.length;
        while (s.at < s.list.length && this.jobs[s.list[s.at]!]!.state !== 'waiting') s.at++;
        const j = s.at < s.list.length ? s.list[s.at]! : Infinity;
        if (j < bestJob) {
          bestJob = j;
          best = k;
        }
      }
      if (best < 0 || bestJob > last) return;
      sources[best]!.at++;
      yield bestJob;
    }
  }

  /**
   * One-task jobs largest first (cores, memory, then index): the groups by size, each merged by
   * index with the untried jobs of its size; a group is tested again at each step.
   */
  private *largestFirst(untried: readonly number[], last: number): Generator<number> {
    const jobs = this.jobs;
    const key = (j: number): [number, number] => [jobs[j]!.cores, jobs[j]!.memoryBytes];
    const fresh = [...untried].sort((a, b) => {
      const [ac, am] = key(a);
      const [bc, bm] = key(b);
      return bc - ac || bm - am || a - b;
    });
    let u = 0;
    const larger = (j: number, g: JobGroup): boolean => {
      const [c, m] = key(j);
      return c > g.cores || (c === g.cores && m > g.memoryBytes);
    };
    for (const g of this.groups.bySize) {
      while (u < fresh.length && larger(fresh[u]!, g)) yield fresh[u++]!;
      const same = (j: number): boolean =>
        jobs[j]!.cores === g.cores && jobs[j]!.memoryBytes === g.memoryBytes;
      let at = 0;
      for (;;) {
        if (!g.mayPlace(this.fleet)) at = g.jobs.length;
        while (at < g.jobs.length && jobs[g.jobs[at]!]!.state !== 'waiting') at++;
        if (at < g.jobs.length && g.jobs[at]! > last) at = g.jobs.length;
        const fromGroup = at < g.jobs.length ? g.jobs[at]! : Infinity;
        const fromFresh = u < fresh.length && same(fresh[u]!) ? fresh[u]! : Infinity;
        if (fromGroup === Infinity && fromFresh === Infinity) break;
        if (fromFresh < fromGroup) yield fresh[u++]!;
        else {
          at++;
          yield fromGroup;
        }
      }
    }
    while (u < fresh.length) yield fresh[u++]!;
  }
}

/** {@link JobGroup.mayPlace} for one job. */
function mayPlace(job: GroupedJob, fleet: SimFleet): boolean {
  if (job.cores > fleet.totalCores - fleet.usedCores) return false;
  if (job.memoryBytes > fleet.totalMemoryBytes - fleet.usedMemoryBytes) return false;
  const s = job.shapes;
  for (let k = 0; k < s.length; k += 2) if (!fleet.fitsNow(s[k]!, s[k + 1]!)) return false;
  return true;
}

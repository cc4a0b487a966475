/**
 * The simulated fleet: exact free cores and memory per worker, and the scheduler's
 * {@link WorkerView}s kept up to date incrementally. A view is rebuilt only for a worker that
 * changed since the last snapshot, so a round over 1,500 workers costs the scheduler's own
 * O(N + Σ free cores) and not a rebuild of every view.
 */
import type { WorkerView } from '../../core/scheduler/index.js';
import type { WorkerSample } from '../run-result.js';
import type { FleetWorker } from '../workload.js';

/** Free/used state of every worker, in the JobManager's snapshot order (by id). */
export class SimFleet {
  /** Workers sorted by id, as `snapshotOf` orders them. */
  readonly workers: readonly FleetWorker[];
  readonly totalCores: number;
  readonly totalMemoryBytes: number;
  /** Used cores over the whole fleet. */
  usedCores = 0;
  /** Bumped by every booking and release: what was computed from the bookings is current while it stays. */
  bookings = 0;
  usedMemoryBytes = 0;
  private readonly index: Map<string, number>;
  private readonly busy: Uint8Array[];
  private readonly used: Int32Array;
  private readonly usedMemory: Float64Array;
  private readonly views: WorkerView[];
  private readonly stale: Uint8Array;
  private readonly changedList: number[] = [];
  private readonly changed: Uint8Array;
  /** Workers with the same cores and memory share a class (interchangeable while idle). */
  private readonly classOf: Int32Array;
  private readonly classCount: Int32Array;
  /** Largest worker in cores; the fit table's size. */
  private readonly maxCores: number;
  /** `fitMemory[c]`: most free memory on a worker with at least c free cores (-1: none). */
  private readonly fitMemory: Float64Array;
  private fitStale = true;

  /** @throws RangeError for a duplicate worker id or a worker without cores */
  constructor(fleet: readonly FleetWorker[]) {
    this.workers = [...fleet].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.index = new Map();
    let cores = 0;
    let memory = 0;
    for (const [i, w] of this.workers.entries()) {
      if (this.index.has(w.id)) throw new RangeError(`fleet: worker ${w.id} appears twice`);
      if (!Number.isSafeInteger(w.cores) || w.cores < 1) {
        throw new RangeError(`fleet: worker ${w.id} needs a positive whole number of cores (got ${w.cores})`);
      }
      this.index.set(w.id, i);
      cores += w.cores;
      memory += w.memoryBytes;
    }
    const n = this.workers.length;
    this.totalCores = cores;
    this.totalMemoryBytes = memory;
    this.busy = this.workers.map((w) => new Uint8Array(w.cores));
    this.used = new Int32Array(n);
    this.usedMemory = new Float64Array(n);
    this.views = new Array<WorkerView>(n);
    this.stale = new Uint8Array(n).fill(1);
    this.changed = new Uint8Array(n);
    const classes = new Map<string, number>();
    this.classOf = new Int32Array(n);
    for (const [i, w] of this.workers.entries()) {
      const key = `${w.cores}/${w.memoryBytes}`;
      let c = classes.get(key);
      if (c === undefined) classes.set(key, (c = classes.size));
      this.classOf[i] = c;
    }
    this.classCount = new Int32Array(classes.size);
    this.maxCores = this.workers.reduce((m, w) => Math.max(m, w.cores), 0);
    this.fitMemory = new Float64Array(this.maxCores + 1);
  }

  /**
   * True when some worker has `cores` free cores and `memoryBytes` free memory at once: a task
   * for which this is false cannot be placed now, nor after any booking. O(1) after an O(N + C)
   * rebuild once bookings changed.
   */
  fitsNow(cores: number, memoryBytes: number): boolean {
    if (!(cores <= this.maxCores)) return false;
    if (this.fitStale) this.rebuildFit();
    return this.fitMemory[Math.max(0, Math.ceil(cores))]! >= memoryBytes;
  }

  private rebuildFit(): void {
    const fit = this.fitMemory.fill(-1);
    for (let i = 0; i < this.workers.length; i++) {
      const w = this.workers[i]!;
      const free = w.cores - this.used[i]!;
      const memory = w.memoryBytes - this.usedMemory[i]!;
      if (memory > fit[free]!) fit[free] = memory;
    }
    for (let c = fit.length - 2; c >= 0; c--) if (fit[c + 1]! > fit[c]!) fit[c] = fit[c + 1]!;
    this.fitStale = false;
  }

  /**
   * The views without the idle workers that cannot change a plan of at most `tasks` tasks: of
   * idle workers with the same cores and memory only the `tasks` lowest-index ones are kept (see
   * docs/design/experiments.md, "pruned snapshots"). Every choice rule picks by free cores and
   * memory with the lowest index winning ties, and `tasks` placements can use at most `tasks` of
   * them, so an idle worker beyond those is never picked: the plan's placements are the same as
   * on the full snapshot. Unplaced reasons count workers, so they need the full snapshot.
   */
  prunedViews(tasks: number): WorkerView[] {
    const views = this.snapshotViews();
    const count = this.classCount.fill(0);
    const out: WorkerView[] = [];
    for (let i = 0; i < views.length; i++) {
      if (this.used[i] === 0 && this.usedMemory[i] === 0) {
        const c = this.classOf[i]!;
        if (count[c]! >= tasks) continue;
        count[c]!++;
      }
      out.push(views[i]!);
    }
    return out;
  }

  /** The current views, rebuilding only those of workers that changed. Do not keep the array. */
  snapshotViews(): readonly WorkerView[] {
    for (let i = 0; i < this.views.length; i++) {
      if (this.stale[i] === 0) continue;
      const w = this.workers[i]!;
      const busy = this.busy[i]!;
      const free: number[] = [];
      for (let c = 0; c < busy.length; c++) if (busy[c] === 0) free.push(c);
      this.views[i] = {
        id: w.id,
        ready: true,
        totalCores: w.cores,
        freeCoreIds: free,
        totalMemoryBytes: w.memoryBytes,
        freeMemoryBytes: w.memoryBytes - this.usedMemory[i]!,
      };
      this.stale[i] = 0;
    }
    return this.views;
  }

  /**
   * Books cores and memory on a worker. A core already busy or memory beyond capacity is a
   * scheduler or simulator bug, never a workload property, so it throws.
   * @returns the worker's index, for {@link release}
   */
  take(workerId: string, coreIds: readonly number[], memoryBytes: number): number {
    const i = this.index.get(workerId);
    if (i === undefined) throw new Error(`simulator: placement on unknown worker ${workerId}`);
    const busy = this.busy[i]!;
    for (const c of coreIds) {
      if (busy[c] !== 0) throw new Error(`simulator: core ${c} of ${workerId} booked twice`);
      busy[c] = 1;
    }
    if (this.usedMemory[i]! + memoryBytes > this.workers[i]!.memoryBytes) {
      throw new Error(`simulator: memory of ${workerId} over-committed`);
    }
    this.used[i]! += coreIds.length;
    this.usedMemory[i]! += memoryBytes;
    this.usedCores += coreIds.length;
    this.usedMemoryBytes += memoryBytes;
    this.touch(i);
    return i;
  }

  /** Frees what {@link take} booked. */
  release(i: number, coreIds: readonly number[], memoryBytes: number): void {
    const busy = this.busy[i]!;
    for (const c of coreIds) busy[c] = 0;
    this.used[i]! -= coreIds.length;
    this.usedMemory[i]! -= memoryBytes;
    this.usedCores -= coreIds.length;
    this.usedMemoryBytes -= memoryBytes;
    this.touch(i);
  }

  /** One sample per worker whose use changed since the last call (all workers on the first). */
  drainSamples(atMs: number, out: WorkerSample[]): void {
    for (const i of this.changedList) {
      out.push({
        workerId: this.workers[i]!.id,
        atMs,
        usedCores: this.used[i]!,
        usedMemoryBytes: this.usedMemory[i]!,
      });
      this.changed[i] = 0;
    }
    this.changedList.length = 0;
  }

  /** Marks every worker changed, so the next {@link drainSamples} starts every step function. */
  touchAll(): void {
    for (let i = 0; i < this.workers.length; i++) this.touch(i);
  }

  private touch(i: number): void {
    this.stale[i] = 1;
    this.fitStale = true;
    this.bookings++;
    if (this.changed[i] === 0) {
      this.changed[i] = 1;
      this.changedList.push(i);
    }
  }
}

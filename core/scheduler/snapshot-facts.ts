/**
 * Facts about a snapshot that do not change while one plan is computed: which worker views are
 * well-formed and usable, the id → index map for pins, and the tables that answer "does this task
 * fit *any* worker's total capacity?" in O(1) for NEVER_FITS.
 */
import { sortShapes, type WorkerShape } from './gang-fit.js';
import type { FleetFacts } from './plan-index.js';
import type { TotalCounts } from './reasons.js';
import { coresOf, MAX_WORKER_CORES, type ClusterSnapshot, type WorkerView } from './types.js';

/**
 * True when a worker view can be trusted: integer totals within bounds, a core count (when given)
 * within the id space, free memory within total, free core ids strictly ascending, in range and no
 * more than the worker's cores. (Id uniqueness is checked by the caller.)
 */
export function isWellFormedView(view: WorkerView): boolean {
  if (typeof view !== 'object' || view === null || typeof view.id !== 'string') return false;
  const { totalCores, totalMemoryBytes, freeMemoryBytes, freeCoreIds } = view;
  if (!Number.isSafeInteger(totalCores) || totalCores < 0 || totalCores > MAX_WORKER_CORES) return false;
  const coreCount: unknown = view.coreCount;
  if (coreCount !== undefined) {
    if (!Number.isSafeInteger(coreCount) || (coreCount as number) < 0) return false;
    if ((coreCount as number) > totalCores) return false;
  }
  if (!Number.isSafeInteger(totalMemoryBytes) || totalMemoryBytes < 0) return false;
  if (!Number.isSafeInteger(freeMemoryBytes) || freeMemoryBytes < 0 || freeMemoryBytes > totalMemoryBytes) {
    return false;
  }
  if (!Array.isArray(freeCoreIds) || freeCoreIds.length > coresOf(view)) return false;
  let previous = -1;
  for (const id of freeCoreIds as readonly unknown[]) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= previous || id >= totalCores) return false;
    previous = id;
  }
  const own: unknown = view.ownCoreIds;
  if (own !== undefined) {
    // Its own ids: as many as its cores, ascending, in the id space, holding every free id.
    if (!Array.isArray(own) || own.length !== coresOf(view)) return false;
    previous = -1;
    for (const id of own as readonly unknown[]) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id <= previous || id >= totalCores) return false;
      previous = id;
    }
    let k = 0;
    for (const id of freeCoreIds as readonly number[]) {
      while (k < own.length && (own[k] as number) < id) k++;
      if (own[k] !== id) return false;
    }
  }
  return true;
}

/** Per-snapshot facts, computed once per `schedule` call in O(N + C + Σ free cores). */
export class SnapshotFacts implements FleetFacts {
  /** The snapshot's version, copied into the plan. */
  readonly version: number;
  /** The views, in index order. */
  readonly workers: readonly WorkerView[];
  /** Each view's id, copied out so the placement loop need not touch the view objects. */
  readonly workerIds: readonly string[];
  /** 1 when the view is well-formed (and its id is not a repeat). */
  readonly wellFormed: Uint8Array;
  /** 1 when well-formed and `ready === true`: the only workers that can receive tasks. */
  readonly usable: Uint8Array;
  /** Number of usable workers. */
  readonly usableCount: number;
  /** Largest `totalCores` over usable workers (0 when none): the index's highest bucket. */
  readonly maxUsableCores: number;
  /** Number of well-formed workers; NEVER_FITS is only decided when this is > 0. */
  readonly wellFormedCount: number;
  private readonly idToIndex: Map<string, number>;
  /** `maxMemoryWithCores[c]` = largest total memory of a well-formed worker with ≥ c cores ({@link coresOf}). */
  private readonly maxMemoryWithCores: Float64Array;
  /** `fewerTotalCores[c]` = workers (malformed ones as 0 cores) with fewer than c total cores. */
  private readonly fewerTotalCores: Int32Array;
  private shapes: readonly WorkerShape[] | undefined;

  constructor(snapshot: ClusterSnapshot) {
    const workers = Array.isArray(snapshot.workers) ? snapshot.workers : [];
    const n = workers.length;
    this.version = snapshot.version;
    this.workers = workers;
    const workerIds = new Array<string>(n);
    this.workerIds = workerIds;
    this.wellFormed = new Uint8Array(n);
    this.usable = new Uint8Array(n);
    this.idToIndex = new Map();
    let usableCount = 0;
    let wellFormedCount = 0;
    let maxUsableCores = 0;
    let maxTotalCores = 0;
    for (let w = 0; w < n; w++) {
      const view = workers[w] as WorkerView;
      if (!isWellFormedView(view) || this.idToIndex.has(view.id)) {
        // A repeated id keeps pointing at the first view: pins stay unambiguous.
        if (typeof view?.id === 'string' && !this.idToIndex.has(view.id)) this.idToIndex.set(view.id, w);
        continue;
      }
      this.idToIndex.set(view.id, w);
      workerIds[w] = view.id;
      this.wellFormed[w] = 1;
      wellFormedCount++;
      const cores = coresOf(view);
      if (cores > maxTotalCores) maxTotalCores = cores;
      if (view.ready === true) {
        this.usable[w] = 1;
        usableCount++;
        if (view.totalCores > maxUsableCores) maxUsableCores = view.totalCores;
      }
    }
    this.usableCount = usableCount;
    this.wellFormedCount = wellFormedCount;
    this.maxUsableCores = maxUsableCores;

    // Suffix maximum of total memory by total cores, and a prefix count of total cores.
    const maxMemory = new Float64Array(maxTotalCores + 2).fill(-1);
    const histogram = new Int32Array(maxTotalCores + 2);
    for (let w = 0; w < n; w++) {
      if (this.wellFormed[w] === 0) {
        histogram[0]!++;
        continue;
      }
      const view = workers[w] as WorkerView;
      const cores = coresOf(view);
      histogram[cores]!++;
      if (view.totalMemoryBytes > maxMemory[cores]!) maxMemory[cores] = view.totalMemoryBytes;
    }
    for (let c = maxTotalCores - 1; c >= 0; c--) {
      if (maxMemory[c + 1]! > maxMemory[c]!) maxMemory[c] = maxMemory[c + 1]!;
    }
    const fewer = new Int32Array(maxTotalCores + 2);
    for (let c = 1; c < fewer.length; c++) fewer[c] = fewer[c - 1]! + histogram[c - 1]!;
    this.maxMemoryWithCores = maxMemory;
    this.fewerTotalCores = fewer;
  }

  /** Index of the worker with this id (its first view), or -1. */
  indexOf(workerId: string): number {
    return this.idToIndex.get(workerId) ?? -1;
  }

  /**
   * True when some well-formed worker (ready or not) has at least `cores` cores and `memoryBytes`
   * bytes in total, or when no worker is well-formed (then nothing can be concluded).
   */
  fitsSomeWorker(cores: number, memoryBytes: number): boolean {
    if (this.wellFormedCount === 0) return true;
    if (cores >= this.maxMemoryWithCores.length) return false;
    return this.maxMemoryWithCores[cores]! >= memoryBytes;
  }

  /** Why a task fits no worker in total; meaningful only when {@link fitsSomeWorker} is false. */
  totalCounts(cores: number): TotalCounts {
    const table = this.fewerTotalCores;
    const fewerTotalCores = cores >= table.length ? this.workers.length : table[cores]!;
    return { fewerTotalCores, lowTotalMemory: this.workers.length - fewerTotalCores };
  }

  /** {@link FleetFacts.workerShapes}: O(N) on first use, then cached (the snapshot never changes). */
  workerShapes(): readonly WorkerShape[] {
    if (this.shapes !== undefined) return this.shapes;
    // Total cores → total memory → count: numeric keys only (no string per worker), and the map
    // of the previous worker's core count reused (fleets come in runs of one shape).
    const byCores = new Map<number, Map<number, number>>();
    let lastCores = -1;
    let memories: Map<number, number> | undefined;
    for (let w = 0; w < this.workers.length; w++) {
      if (this.wellFormed[w] === 0) continue;
      const view = this.workers[w] as WorkerView;
      const cores = coresOf(view);
      const memory = view.totalMemoryBytes;
      if (cores !== lastCores || memories === undefined) {
        memories = byCores.get(cores);
        if (memories === undefined) byCores.set(cores, (memories = new Map<number, number>()));
        lastCores = cores;
      }
      memories.set(memory, (memories.get(memory) ?? 0) + 1);
    }
    const shapes: WorkerShape[] = [];
    for (const [cores, counts] of byCores) {
      for (const [memoryBytes, count] of counts) shapes.push({ cores, memoryBytes, count });
    }
    this.shapes = sortShapes(shapes);
    return this.shapes;
  }
}

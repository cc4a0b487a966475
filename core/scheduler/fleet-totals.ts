/**
 * The NEVER_FITS tables of {@link SnapshotFacts}, kept up to date one worker at a time for the
 * live index: how many workers have fewer than c total cores, and the largest total memory of a
 * well-formed worker with at least c total cores. Both are indexed by total cores (`coresOf`: the
 * cores a worker really has, not its id space), which are bounded by {@link MAX_WORKER_CORES}, so
 * the structures have a fixed size whatever the fleet.
 *
 * Only a worker's totals (and whether its view is well-formed) change these tables: a booking or a
 * readiness change does not, so most worker updates never reach this class.
 */
import { sortShapes, type WorkerShape } from './gang-fit.js';
import type { TotalCounts } from './reasons.js';
import { MAX_WORKER_CORES } from './types.js';

/** Leaves: total-core counts `0 .. MAX_WORKER_CORES`. */
const LEAVES = MAX_WORKER_CORES + 1;

/** See the file comment. */
export class FleetTotals {
  /** Fenwick tree over total cores (malformed views count as 0): prefix sums answer "fewer than c". */
  private readonly fenwick = new Int32Array(LEAVES + 1);
  /** Max-segment tree over total cores: leaf c = largest total memory at exactly c cores, or -1. */
  private readonly maxTree: Float64Array;
  private readonly size: number;
  /** Per total-core count: total memory → how many well-formed workers have it. */
  private readonly memoryAt = new Map<number, Map<number, number>>();
  /** Workers counted (every view, malformed ones too). */
  private counted = 0;
  /** {@link shapes}, until a well-formed worker's totals are counted or uncounted. */
  private shapeCache: readonly WorkerShape[] | undefined;

  constructor() {
    let size = 1;
    while (size < LEAVES) size *= 2;
    this.size = size;
    this.maxTree = new Float64Array(2 * size).fill(-1);
  }

  /**
   * Counts one view: a well-formed one by its totals (cores as `coresOf`), a malformed one as zero
   * cores (so it is counted among "fewer cores" and adds no memory).
   */
  add(wellFormed: boolean, cores: number, totalMemoryBytes: number): void {
    this.counted++;
    this.addCount(wellFormed ? cores : 0, 1);
    if (!wellFormed) return;
    this.shapeCache = undefined;
    let memories = this.memoryAt.get(cores);
    if (memories === undefined) this.memoryAt.set(cores, (memories = new Map<number, number>()));
    memories.set(totalMemoryBytes, (memories.get(totalMemoryBytes) ?? 0) + 1);
    const leaf = this.size + cores;
    if (totalMemoryBytes > this.maxTree[leaf]!) this.setLeaf(cores, totalMemoryBytes);
  }

  /** Uncounts a view counted earlier with the same arguments. */
  remove(wellFormed: boolean, cores: number, totalMemoryBytes: number): void {
    this.counted--;
    this.addCount(wellFormed ? cores : 0, -1);
    if (!wellFormed) return;
    this.shapeCache = undefined;
    const memories = this.memoryAt.get(cores);
    if (memories === undefined) return;
    const left = (memories.get(totalMemoryBytes) ?? 0) - 1;
    if (left > 0) {
      memories.set(totalMemoryBytes, left);
      return;
    }
    memories.delete(totalMemoryBytes);
    if (memories.size === 0) this.memoryAt.delete(cores);
    if (totalMemoryBytes < this.maxTree[this.size + cores]!) return;
    // The largest memory at this core count is gone: the next largest is among the distinct sizes
    // left there, which are few in a real fleet (machines come in a handful of shapes).
    let max = -1;
    for (const memory of memories.keys()) if (memory > max) max = memory;
    this.setLeaf(cores, max);
  }

  /** True when some counted well-formed worker has ≥ `cores` cores and ≥ `memoryBytes` in total. */
  fits(cores: number, memoryBytes: number): boolean {
    if (cores > MAX_WORKER_CORES) return false;
    return this.maxFrom(cores) >= memoryBytes;
  }

  /** {@link SnapshotFacts.totalCounts} over the counted views. */
  totalCounts(cores: number): TotalCounts {
    const fewerTotalCores = this.countBelow(Math.min(cores, LEAVES));
    return { fewerTotalCores, lowTotalMemory: this.counted - fewerTotalCores };
  }

  /**
   * The counted well-formed workers grouped by (total cores, total memory), sorted by
   * `sortShapes`; O(shapes) after a change, then cached.
   */
  shapes(): readonly WorkerShape[] {
    if (this.shapeCache !== undefined) return this.shapeCache;
    const list: WorkerShape[] = [];
    for (const [cores, memories] of this.memoryAt) {
      for (const [memoryBytes, count] of memories) list.push({ cores, memoryBytes, count });
    }
    this.shapeCache = sortShapes(list);
    return this.shapeCache;
  }

  private addCount(cores: number, delta: number): void {
    for (let i = cores + 1; i <= LEAVES; i += i & -i) this.fenwick[i]! += delta;
  }

  /** Views with fewer than `cores` total cores (0 ≤ cores ≤ LEAVES). */
  private countBelow(cores: number): number {
    let sum = 0;
    for (let i = cores; i > 0; i -= i & -i) sum += this.fenwick[i]!;
    return sum;
  }

  private setLeaf(cores: number, max: number): void {
    const tree = this.maxTree;
    let i = this.size + cores;
    tree[i] = max;
    for (i >>= 1; i >= 1; i >>= 1) {
      const l = tree[2 * i]!;
      const r = tree[2 * i + 1]!;
      tree[i] = l > r ? l : r;
    }
  }

  /** Largest leaf over total cores `cores .. MAX_WORKER_CORES`, or -1. */
  private maxFrom(cores: number): number {
    const tree = this.maxTree;
    let l = this.size + Math.max(0, cores);
    let r = this.size + LEAVES;
    let max = -1;
    while (l < r) {
      if (l & 1) max = Math.max(max, tree[l++]!);
      if (r & 1) max = Math.max(max, tree[--r]!);
      l >>= 1;
      r >>= 1;
    }
    return max;
  }
}

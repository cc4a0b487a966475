/**
 * The worker index: the plan overlay (snapshot minus tentative placements) of every usable
 * worker, plus the search structures that make each placement O(log N):
 *
 *   CoreBitset       free core ids per worker, and the core rule
 *   freeMemory       free bytes per worker
 *   BucketTree       per free-core count: worker count, largest free memory   (always)
 *   SparseMaxForest  per free-core count: worker index → free memory          (unless pinned-only)
 *
 * Every take and release moves the worker between buckets and updates all of them, so a rolled-back
 * job leaves the index exactly as if it had never been placed.
 */
import { BucketTree } from './bucket-tree.js';
import { CoreBitset } from './core-bitset.js';
import type { PlanIndex } from './plan-index.js';
import type { CapacityCounts } from './reasons.js';
import type { SnapshotFacts } from './snapshot-facts.js';
import { SparseMaxForest } from './sparse-max-forest.js';
import type { WorkerView } from './types.js';

/** Which optional search structures to build; a strategy builds only what its choice queries. */
export interface IndexNeeds {
  /** Buckets of workers by free cores with a memory max-tree each (every choice but `pinned`). */
  readonly buckets: boolean;
}

/** See the file comment. Build with {@link WorkerIndex.build}. */
export class WorkerIndex implements PlanIndex {
  /** Free core ids (and counts) per worker. */
  readonly cores: CoreBitset;
  /** Free memory per worker, in bytes. */
  readonly freeMemory: Float64Array;
  private readonly facts: SnapshotFacts;
  private readonly bucketTree: BucketTree;
  private readonly forest: SparseMaxForest | undefined;
  /** 1 for workers taken out of the queries by {@link hide}. */
  private readonly hidden: Uint8Array;
  private hiddenCount = 0;

  private constructor(facts: SnapshotFacts, needs: IndexNeeds) {
    const n = facts.workers.length;
    const bucketCount = facts.maxUsableCores + 1;
    this.facts = facts;
    this.cores = new CoreBitset(facts);
    this.freeMemory = new Float64Array(n);
    this.hidden = new Uint8Array(n);
    this.bucketTree = new BucketTree(bucketCount);
    // Start the pool at about two nodes per worker: enough when most workers share few buckets.
    this.forest = needs.buckets ? new SparseMaxForest(bucketCount, n, 2 * n + 64) : undefined;

    const counts = new Int32Array(bucketCount);
    for (let w = 0; w < n; w++) {
      if (facts.usable[w] === 0) continue;
      const memory = (facts.workers[w] as WorkerView).freeMemoryBytes;
      const free = this.cores.freeCount[w]!;
      this.freeMemory[w] = memory;
      counts[free]!++;
      this.forest?.insert(free, w, memory);
    }
    for (let b = 0; b < bucketCount; b++)
      this.bucketTree.setLeaf(b, counts[b]!, this.forest?.rootMax(b) ?? -1);
    this.bucketTree.rebuild();
  }

  /** Builds the index for a snapshot: O(N log N + Σ free cores + C). */
  static build(facts: SnapshotFacts, needs: IndexNeeds): WorkerIndex {
    return new WorkerIndex(facts, needs);
  }

  /**
   * Best fit: the usable worker with the fewest free cores ≥ `cores` among those with ≥ `memory`
   * free; ties go to the lowest worker index. Memory is a filter, not part of the score. -1 if none.
   */
  bestFit(cores: number, memory: number): number {
    const forest = this.requireForest();
    const bucket = this.bucketTree.lowestAtLeast(cores, memory);
    return bucket < 0 ? -1 : forest.lowestAtLeast(bucket, memory);
  }

  /** Worst fit (spread): the most free cores ≥ `cores` with ≥ `memory` free; ties to the lowest index. */
  worstFit(cores: number, memory: number): number {
    const forest = this.requireForest();
    const bucket = this.bucketTree.highestAtLeast(cores, memory);
    return bucket < 0 ? -1 : forest.lowestAtLeast(bucket, memory);
  }

  /**
   * First fit: the lowest worker index with ≥ `cores` free cores and ≥ `memory` free; -1 if none.
   *
   * The minimum over the buckets ≥ `cores` that hold a worker with enough memory (found through
   * the bucket tree), each searched only below the best index so far. Exact, and O(B·(log C +
   * log N)) for B such buckets, B ≤ C. (A single max-tree over worker index with a pruned descent
   * looks O(log N) but hits dead ends whenever cores and memory maxima come from different
   * workers, which is common once memory runs out before cores: it measured 10–20× slower on
   * the mixed workload.)
   */
  firstFit(cores: number, memory: number): number {
    const forest = this.requireForest();
    const tree = this.bucketTree;
    let best = this.freeMemory.length;
    for (let b = tree.lowestAtLeast(cores, memory); b >= 0; b = tree.lowestAtLeast(b + 1, memory)) {
      const found = forest.lowestAtLeastBelow(b, memory, best);
      if (found >= 0) best = found;
    }
    return best < this.freeMemory.length ? best : -1;
  }

  /** Takes `k` cores (by the core rule) and `memory` bytes on worker w; the caller checked they fit. */
  takeByRule(w: number, k: number, memory: number): number[] {
    const before = this.cores.freeCount[w]!;
    const ids = this.cores.takeByRule(w, k);
    this.moved(w, before, memory, -1);
    return ids;
  }

  /** Takes exactly `ids` and `memory` bytes on worker w; the caller checked they are free. */
  takeExact(w: number, ids: readonly number[], memory: number): number[] {
    const before = this.cores.freeCount[w]!;
    const sorted = this.cores.takeExact(w, ids);
    this.moved(w, before, memory, -1);
    return sorted;
  }

  /** Gives back cores and memory taken earlier on worker w (rollback). */
  release(w: number, ids: readonly number[], memory: number): void {
    const before = this.cores.freeCount[w]!;
    this.cores.release(w, ids);
    this.moved(w, before, memory, 1);
  }

  /**
   * Why no usable worker fits `cores`: not-ready count, workers with fewer free cores, and (since
   * none fits) the rest have too little memory. O(log C).
   */
  capacityCounts(cores: number): CapacityCounts {
    const fewerCores = this.bucketTree.countBelow(cores);
    return {
      notReady: this.facts.workers.length - this.facts.usableCount,
      fewerCores,
      lowMemory: this.facts.usableCount - this.hiddenCount - fewerCores,
    };
  }

  hide(w: number): boolean {
    if (this.facts.usable[w] !== 1 || this.hidden[w] === 1) return false;
    this.hidden[w] = 1;
    this.hiddenCount++;
    const free = this.cores.freeCount[w]!;
    const forest = this.forest;
    if (forest !== undefined) forest.remove(free, w);
    this.bucketTree.update(free, -1, forest?.rootMax(free) ?? -1);
    return true;
  }

  unhide(w: number): void {
    if (this.hidden[w] !== 1) return;
    this.hidden[w] = 0;
    this.hiddenCount--;
    const free = this.cores.freeCount[w]!;
    const forest = this.forest;
    if (forest !== undefined) forest.insert(free, w, this.freeMemory[w]!);
    this.bucketTree.update(free, 1, forest?.rootMax(free) ?? -1);
  }

  fits(w: number, cores: number, memory: number): boolean {
    return (
      this.facts.usable[w] === 1 &&
      this.hidden[w] === 0 &&
      this.cores.freeCount[w]! >= cores &&
      this.freeMemory[w]! >= memory
    );
  }

  rank(w: number): number {
    return w;
  }

  freeCoresOf(w: number): number {
    return this.cores.freeCount[w]!;
  }

  freeMemoryOf(w: number): number {
    return this.freeMemory[w]!;
  }

  isFree(w: number, id: number): boolean {
    return this.cores.isFree(w, id);
  }

  wasFreeBeforePlan(w: number, id: number): boolean {
    return this.cores.wasFreeInSnapshot(w, id);
  }

  /** Updates every structure after worker w's free cores changed from `before`. */
  private moved(w: number, before: number, memory: number, sign: 1 | -1): void {
    const after = this.cores.freeCount[w]!;
    const freeMemory = (this.freeMemory[w] = this.freeMemory[w]! + sign * memory);
    const forest = this.forest;
    if (forest !== undefined) {
      forest.remove(before, w);
      forest.insert(after, w, freeMemory);
      this.bucketTree.update(before, -1, forest.rootMax(before));
      this.bucketTree.update(after, 1, forest.rootMax(after));
    } else {
      this.bucketTree.update(before, -1, -1);
      this.bucketTree.update(after, 1, -1);
    }
  }

  private requireForest(): SparseMaxForest {
    if (this.forest === undefined) throw new Error('WorkerIndex built without buckets');
    return this.forest;
  }
}

/**
 * The scheduler's index kept across rounds: the facts and search structures of the per-call
 * {@link SnapshotFacts} + {@link WorkerIndex}, changed one worker at a time, so a round costs what
 * changed instead of O(N log N) for the whole fleet.
 *
 *   upsert / remove a worker   O(log N + its cores)          (the owner calls these on every change)
 *   plan (scheduleOnLive)      O(placements × log N)         tentative placements change the index,
 *                                                            and all are undone when the plan is made
 *
 * Plans are identical to `schedule` on the equivalent snapshot: the held views ordered by id.
 * Workers sit in slots (stable while a worker stays, reused after it leaves), but every tie-break
 * uses an **order key** that sorts like the ids: a new worker whose id sorts after every other id
 * gets the next key; any other new id marks the order stale, and the next plan re-ranks every
 * worker and rebuilds the search structures once (O(N log N); a fleet's ids are mostly known
 * after it first joined, so this is rare after start-up).
 *
 * One worker per id: an upsert replaces the view held for that id (a snapshot with a repeated id
 * treats the repeat as malformed; the live index never holds one). A malformed view is held as a
 * not-ready worker with zero capacity, as `schedule` treats it.
 */
import { BucketTree } from './bucket-tree.js';
import { LiveCoreBitset } from './live-core-bitset.js';
import { LiveFacts } from './live-facts.js';
import type { PlanIndex } from './plan-index.js';
import type { CapacityCounts } from './reasons.js';
import { SparseMaxForest } from './sparse-max-forest.js';
import { MAX_WORKER_CORES, type ClusterSnapshot, type WorkerView } from './types.js';

/** Bucket slots: free-core counts `0 .. MAX_WORKER_CORES`. */
const MAX_BUCKETS = MAX_WORKER_CORES + 1;

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** See the file comment. */
export class LiveIndex implements PlanIndex {
  /** The facts the pre-checks read (by slot). */
  readonly facts = new LiveFacts();
  private readonly cores = new LiveCoreBitset();
  private freeMemory = new Float64Array(16);
  private keyOfSlot = new Int32Array(16).fill(-1);
  private slotOfKey = new Int32Array(0);
  private keyCapacity = 0;
  private nextKey = 0;
  /** The highest id given a key since the last re-rank: a new id above it can be appended. */
  private highestId: string | undefined;
  /** False when the order keys, the forest and the bucket tree must be rebuilt before a plan. */
  private ordered = false;
  private forest = new SparseMaxForest(MAX_BUCKETS, 1, 64);
  private buckets = new BucketTree(1);
  private bucketCount = 1;
  private readonly bucketSizes = new Int32Array(MAX_BUCKETS);
  /** 1 for slots taken out of the queries by {@link hide} (only during a plan). */
  private hidden = new Uint8Array(16);
  private hiddenCount = 0;
  /** The plan in progress: every take (-1) and release (+1), to undo in reverse. */
  private journal: { slot: number; ids: readonly number[]; memory: number; sign: 1 | -1 }[] | undefined;

  /** Workers held. */
  get size(): number {
    return this.facts.workerCount;
  }

  has(workerId: string): boolean {
    return this.facts.indexOf(workerId) >= 0;
  }

  /**
   * Adds a worker, or replaces the view held for its id.
   * @throws TypeError when the view has no string id (it could not be found again); Error during a plan
   */
  upsert(view: WorkerView): void {
    if (typeof view !== 'object' || view === null || typeof view.id !== 'string') {
      throw new TypeError('LiveIndex.upsert: a worker view needs a string id');
    }
    this.assertIdle();
    const existing = this.facts.indexOf(view.id);
    if (existing >= 0) this.detach(existing);
    const slot = this.facts.put(view);
    this.ensureSlot(slot);
    if (existing < 0) this.assignKey(slot, view.id);
    const usable = this.facts.usable[slot] === 1;
    this.cores.set(slot, usable ? view.totalCores : 0, usable ? view.freeCoreIds : []);
    this.freeMemory[slot] = usable ? view.freeMemoryBytes : 0;
    if (usable) this.attach(slot);
  }

  /** Removes the worker with this id; false when none was held. */
  remove(workerId: string): boolean {
    this.assertIdle();
    const slot = this.facts.indexOf(workerId);
    if (slot < 0) return false;
    this.detach(slot);
    const key = this.keyOfSlot[slot]!;
    if (key >= 0) this.slotOfKey[key] = -1;
    this.keyOfSlot[slot] = -1;
    this.facts.drop(workerId);
    this.cores.clear(slot);
    this.freeMemory[slot] = 0;
    return true;
  }

  /** The equivalent snapshot: the held views ordered by id. O(N log N); for tests and tools. */
  snapshot(version: number): ClusterSnapshot {
    const ids = [...this.facts.ids()].sort(byId);
    return { version, workers: ids.map((id) => this.facts.workers[this.facts.indexOf(id)] as WorkerView) };
  }

  /**
   * Starts a plan: brings the order up to date and opens the journal. Internal to
   * `scheduleOnLive`, which always calls {@link endPlan}.
   */
  beginPlan(): void {
    this.assertIdle();
    if (!this.ordered) this.rebuild();
    this.journal = [];
  }

  /** Ends a plan: undoes every take and release it made, newest first, leaving the index as found. */
  endPlan(): void {
    const journal = this.journal ?? [];
    this.journal = undefined;
    // Hides are undone per task; only a plan that threw can leave some behind.
    for (let w = 0; this.hiddenCount > 0 && w < this.hidden.length; w++) this.unhide(w);
    for (let i = journal.length - 1; i >= 0; i--) {
      const { slot, ids, memory, sign } = journal[i]!;
      const before = this.cores.freeCount[slot]!;
      if (sign === -1) this.cores.release(slot, ids);
      else this.cores.takeExact(slot, ids);
      this.moved(slot, before, memory, sign === -1 ? 1 : -1);
    }
  }

  bestFit(cores: number, memory: number): number {
    const bucket = this.buckets.lowestAtLeast(cores, memory);
    return bucket < 0 ? -1 : this.slotOfKey[this.forest.lowestAtLeast(bucket, memory)]!;
  }

  worstFit(cores: number, memory: number): number {
    const bucket = this.buckets.highestAtLeast(cores, memory);
    return bucket < 0 ? -1 : this.slotOfKey[this.forest.lowestAtLeast(bucket, memory)]!;
  }

  /** As {@link WorkerIndex.firstFit}, over order keys. */
  firstFit(cores: number, memory: number): number {
    const tree = this.buckets;
    let best = this.keyCapacity;
    for (let b = tree.lowestAtLeast(cores, memory); b >= 0; b = tree.lowestAtLeast(b + 1, memory)) {
      const found = this.forest.lowestAtLeastBelow(b, memory, best);
      if (found >= 0) best = found;
    }
    return best < this.keyCapacity ? this.slotOfKey[best]! : -1;
  }

  takeByRule(w: number, k: number, memory: number): number[] {
    const before = this.cores.freeCount[w]!;
    const ids = this.cores.takeByRule(w, k);
    this.moved(w, before, memory, -1);
    this.journal?.push({ slot: w, ids, memory, sign: -1 });
    return ids;
  }

  takeExact(w: number, ids: readonly number[], memory: number): number[] {
    const before = this.cores.freeCount[w]!;
    const sorted = [...ids].sort((a, b) => a - b);
    this.cores.takeExact(w, sorted);
    this.moved(w, before, memory, -1);
    this.journal?.push({ slot: w, ids: sorted, memory, sign: -1 });
    return sorted;
  }

  release(w: number, ids: readonly number[], memory: number): void {
    const before = this.cores.freeCount[w]!;
    this.cores.release(w, ids);
    this.moved(w, before, memory, 1);
    this.journal?.push({ slot: w, ids, memory, sign: 1 });
  }

  capacityCounts(cores: number): CapacityCounts {
    const fewerCores = this.buckets.countBelow(cores);
    const { workerCount, usableCount } = this.facts;
    return {
      notReady: workerCount - usableCount,
      fewerCores,
      lowMemory: usableCount - this.hiddenCount - fewerCores,
    };
  }

  hide(w: number): boolean {
    if (this.facts.usable[w] !== 1 || this.hidden[w] === 1) return false;
    this.detach(w);
    this.hidden[w] = 1;
    this.hiddenCount++;
    return true;
  }

  unhide(w: number): void {
    if (this.hidden[w] !== 1) return;
    this.hidden[w] = 0;
    this.hiddenCount--;
    this.attach(w);
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
    return this.keyOfSlot[w]!;
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
    return this.cores.wasCommittedFree(w, id);
  }

  /**
   * What planning reads, as plain data (per worker by id: usable, free cores, free memory; per
   * bucket: size and largest free memory), so tests can check that a plan leaves it unchanged.
   */
  inspect(): { workers: unknown[]; buckets: (readonly [number, number])[] } {
    if (!this.ordered) this.rebuild();
    const workers = [...this.facts.ids()].sort(byId).map((id) => {
      const w = this.facts.indexOf(id);
      const total = this.facts.usable[w] === 1 ? (this.facts.workers[w] as WorkerView).totalCores : 0;
      const free = Array.from({ length: total }, (_, c) => c).filter((c) => this.cores.isFree(w, c));
      return [id, this.facts.usable[w], this.cores.freeCount[w], free, this.freeMemory[w]];
    });
    const buckets = Array.from({ length: this.bucketCount }, (_, b) => {
      return [this.bucketSizes[b]!, this.forest.rootMax(b)] as const;
    });
    return { workers, buckets };
  }

  /** Gives a new worker an order key, or marks the order stale when its id does not sort last. */
  private assignKey(slot: number, id: string): void {
    if (
      this.ordered &&
      this.nextKey < this.keyCapacity &&
      (this.highestId === undefined || id > this.highestId)
    ) {
      const key = this.nextKey++;
      this.slotOfKey[key] = slot;
      this.keyOfSlot[slot] = key;
      this.highestId = id;
      return;
    }
    this.ordered = false;
  }

  /** Re-ranks every worker by id and rebuilds the forest and the bucket tree: O(N log N). */
  private rebuild(): void {
    const ids = [...this.facts.ids()].sort(byId);
    const n = ids.length;
    // Room for a quarter more workers appended before the next re-rank.
    let capacity = 64;
    while (capacity < n + (n >> 2) + 1) capacity *= 2;
    this.keyCapacity = capacity;
    this.slotOfKey = new Int32Array(capacity).fill(-1);
    this.keyOfSlot.fill(-1);
    this.bucketSizes.fill(0);
    this.forest = new SparseMaxForest(MAX_BUCKETS, capacity, 2 * n + 64);
    let maxFree = 0;
    for (let key = 0; key < n; key++) {
      const slot = this.facts.indexOf(ids[key]!);
      this.slotOfKey[key] = slot;
      this.keyOfSlot[slot] = key;
      if (this.facts.usable[slot] === 0) continue;
      const free = this.cores.freeCount[slot]!;
      if (free > maxFree) maxFree = free;
      this.forest.insert(free, key, this.freeMemory[slot]!);
      this.bucketSizes[free]!++;
    }
    this.nextKey = n;
    this.highestId = ids[n - 1];
    this.ordered = true;
    this.resizeBuckets(maxFree + 1);
  }

  /** Rebuilds the bucket tree for `count` buckets from the bucket sizes and the forest: O(C). */
  private resizeBuckets(count: number): void {
    this.bucketCount = Math.min(MAX_BUCKETS, count);
    this.buckets = new BucketTree(this.bucketCount);
    for (let b = 0; b < this.bucketCount; b++) {
      this.buckets.setLeaf(b, this.bucketSizes[b]!, this.forest.rootMax(b));
    }
    this.buckets.rebuild();
  }

  /** Puts usable worker `slot` into its bucket (when the order is current). */
  private attach(slot: number): void {
    if (!this.ordered) return;
    const free = this.cores.freeCount[slot]!;
    // Buckets above the highest free count are empty and never chosen, so growing the tree (by
    // doubling) changes no answer.
    if (free >= this.bucketCount) this.resizeBuckets(Math.max(free + 1, 2 * this.bucketCount));
    this.forest.insert(free, this.keyOfSlot[slot]!, this.freeMemory[slot]!);
    this.bucketSizes[free]!++;
    this.buckets.update(free, 1, this.forest.rootMax(free));
  }

  /** Takes worker `slot` out of its bucket, if it is in one. */
  private detach(slot: number): void {
    if (!this.ordered || this.facts.usable[slot] === 0) return;
    const free = this.cores.freeCount[slot]!;
    this.forest.remove(free, this.keyOfSlot[slot]!);
    this.bucketSizes[free]!--;
    this.buckets.update(free, -1, this.forest.rootMax(free));
  }

  /** Moves worker w between buckets after its free cores changed from `before`. */
  private moved(w: number, before: number, memory: number, sign: 1 | -1): void {
    const after = this.cores.freeCount[w]!;
    const freeMemory = (this.freeMemory[w] = this.freeMemory[w]! + sign * memory);
    const key = this.keyOfSlot[w]!;
    this.forest.remove(before, key);
    this.forest.insert(after, key, freeMemory);
    this.bucketSizes[before]!--;
    this.bucketSizes[after]!++;
    this.buckets.update(before, -1, this.forest.rootMax(before));
    this.buckets.update(after, 1, this.forest.rootMax(after));
  }

  private ensureSlot(slot: number): void {
    if (slot < this.freeMemory.length) return;
    const size = Math.max(slot + 1, this.freeMemory.length * 2);
    const memory = new Float64Array(size);
    memory.set(this.freeMemory);
    const keys = new Int32Array(size).fill(-1);
    keys.set(this.keyOfSlot);
    const hidden = new Uint8Array(size);
    hidden.set(this.hidden);
    this.freeMemory = memory;
    this.keyOfSlot = keys;
    this.hidden = hidden;
  }

  private assertIdle(): void {
    if (this.journal !== undefined) throw new Error('LiveIndex: a plan is in progress');
  }
}

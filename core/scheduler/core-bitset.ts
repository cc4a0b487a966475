/**
 * Free core ids of every usable worker as bitsets in one typed array, with the core rule.
 *
 * **Core rule** (deterministic, shared with the reference): a task needing k cores on a worker
 * gets the contiguous run of k free ids with the lowest starting id, if the worker has one;
 * otherwise the k lowest free ids. Contiguous ids keep a task on neighbouring cores (usually one
 * socket and shared caches) and keep cpusets short ("4-7").
 */
import type { SnapshotFacts } from './snapshot-facts.js';
import type { WorkerView } from './types.js';

/** Bits per word of the bitset. */
const WORD = 32;

/**
 * Start of the lowest run of k set bits in a 32-bit word, or -1. By doubling: after the loop, bit
 * s of `y` is set iff bits s .. s+len-1 of `x` all are; one more shift-and extends len to k.
 */
function lowestRunInWord(x: number, k: number): number {
  let y = x;
  let len = 1;
  while (len * 2 <= k) {
    y &= y >>> len;
    len *= 2;
  }
  if (len < k) y &= y >>> (k - len);
  return y === 0 ? -1 : 31 - Math.clz32(y & -y);
}

/** Free-core bitsets for all usable workers, plus the snapshot's original sets for explanations. */
export class CoreBitset {
  /** Free cores per worker, kept in step with the bits. */
  readonly freeCount: Int32Array;
  private readonly words: Int32Array;
  private readonly initial: Int32Array;
  /** Worker w's words are `offsets[w] .. offsets[w+1]-1`; unusable workers have none. */
  private readonly offsets: Int32Array;
  private readonly totals: Int32Array;

  constructor(facts: SnapshotFacts) {
    const n = facts.workers.length;
    this.offsets = new Int32Array(n + 1);
    this.totals = new Int32Array(n);
    this.freeCount = new Int32Array(n);
    for (let w = 0; w < n; w++) {
      const usable = facts.usable[w] === 1;
      const total = usable ? (facts.workers[w] as WorkerView).totalCores : 0;
      this.totals[w] = total;
      this.offsets[w + 1] = this.offsets[w]! + Math.ceil(total / WORD);
    }
    this.words = new Int32Array(this.offsets[n]!);
    for (let w = 0; w < n; w++) {
      if (facts.usable[w] === 0) continue;
      const ids = (facts.workers[w] as WorkerView).freeCoreIds;
      const base = this.offsets[w]!;
      for (const id of ids) this.words[base + (id >>> 5)]! |= 1 << (id & 31);
      this.freeCount[w] = ids.length;
    }
    this.initial = this.words.slice();
  }

  /** True when core `id` of worker `w` is free now (in the snapshot and not taken by the plan). */
  isFree(w: number, id: number): boolean {
    return (this.words[this.offsets[w]! + (id >>> 5)]! & (1 << (id & 31))) !== 0;
  }

  /** True when core `id` of worker `w` was free in the snapshot. */
  wasFreeInSnapshot(w: number, id: number): boolean {
    return (this.initial[this.offsets[w]! + (id >>> 5)]! & (1 << (id & 31))) !== 0;
  }

  /**
   * Takes k free cores of worker w by the core rule. The caller has checked `freeCount[w] >= k`.
   * @returns the ids taken, ascending (a new array: it becomes part of the plan)
   */
  takeByRule(w: number, k: number): number[] {
    const out = takeByRuleAt(this.words, this.offsets[w]!, this.totals[w]!, k);
    this.freeCount[w]! -= k;
    return out;
  }

  /** Takes exactly these cores of worker w; the caller has checked they are free. */
  takeExact(w: number, ids: readonly number[]): number[] {
    const base = this.offsets[w]!;
    for (const id of ids) this.words[base + (id >>> 5)]! &= ~(1 << (id & 31));
    this.freeCount[w]! -= ids.length;
    return [...ids].sort((a, b) => a - b);
  }

  /** Gives cores back to worker w (rollback of a tentative placement). */
  release(w: number, ids: readonly number[]): void {
    const base = this.offsets[w]!;
    for (const id of ids) this.words[base + (id >>> 5)]! |= 1 << (id & 31);
    this.freeCount[w]! += ids.length;
  }
}

/**
 * The core rule on one worker's bitset (`words[base ..]`, `total` cores): takes k free ids and
 * clears their bits. The caller has checked that k ids are free. Shared by {@link CoreBitset} and
 * the live index's bitsets, so both pick the same cores.
 * @returns the ids taken, ascending (a new array: it becomes part of the plan)
 */
export function takeByRuleAt(words: Int32Array, base: number, total: number, k: number): number[] {
  const out = new Array<number>(k);
  if (total > 0 && total <= WORD) {
    // Fast path for workers with at most 32 cores: bit tricks on one word.
    let x = words[base]!;
    const start = lowestRunInWord(x, k);
    if (start >= 0) {
      for (let i = 0; i < k; i++) out[i] = start + i;
      // k may be 32, and `1 << 32` is 1 in JS, so build the mask in two steps.
      const mask = k === WORD ? -1 : ((1 << k) - 1) << start;
      words[base] = x & ~mask;
    } else {
      for (let i = 0; i < k; i++) {
        const low = x & -x;
        out[i] = 31 - Math.clz32(low);
        x ^= low;
      }
      words[base] = x;
    }
    return out;
  }
  chooseGeneral(words, base, total, k, out);
  for (const id of out) words[base + (id >>> 5)]! &= ~(1 << (id & 31));
  return out;
}

/** The core rule by a plain scan over ids, for workers with more than 32 cores. */
function chooseGeneral(words: Int32Array, base: number, total: number, k: number, out: number[]): void {
  const isFree = (id: number): boolean => (words[base + (id >>> 5)]! & (1 << (id & 31))) !== 0;
  let runStart = 0;
  let runLength = 0;
  for (let id = 0; id < total; id++) {
    if (!isFree(id)) {
      runLength = 0;
      continue;
    }
    if (runLength === 0) runStart = id;
    if (++runLength === k) {
      for (let i = 0; i < k; i++) out[i] = runStart + i;
      return;
    }
  }
  let taken = 0;
  for (let id = 0; id < total && taken < k; id++) {
    if (isFree(id)) out[taken++] = id;
  }
}

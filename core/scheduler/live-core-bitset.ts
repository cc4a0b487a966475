/**
 * Free core ids per slot of the live index, as bitsets in one growable typed array, plus the
 * committed bits (what the state says is free, before the plan in progress took anything) that
 * PIN_CORE_CONFLICT explanations need.
 *
 * Each slot owns a run of words; a worker that comes back with more cores gets a new run at the
 * end and its old run becomes garbage, which is compacted away once it is half the array.
 */
import { takeByRuleAt } from './core-bitset.js';

/** Bits per word. */
const WORD = 32;

/** See the file comment. */
export class LiveCoreBitset {
  /** Free cores per slot, kept in step with the bits. */
  freeCount = new Int32Array(16);
  private words = new Int32Array(64);
  private committed = new Int32Array(64);
  private offsets = new Int32Array(16);
  /** Words each slot owns (≥ the words its cores need). */
  private capacity = new Int32Array(16);
  private totals = new Int32Array(16);
  /** Words handed out so far, and how many of those belong to no slot any more. */
  private used = 0;
  private garbage = 0;

  /** Sets slot `slot` to `total` cores of which `freeIds` are free (empty for an unusable worker). */
  set(slot: number, total: number, freeIds: readonly number[]): void {
    this.ensureSlot(slot);
    const need = Math.ceil(total / WORD);
    if (need > this.capacity[slot]!) {
      this.garbage += this.capacity[slot]!;
      this.offsets[slot] = this.allocate(need);
      this.capacity[slot] = need;
    }
    const base = this.offsets[slot]!;
    this.words.fill(0, base, base + this.capacity[slot]!);
    // Ids were checked by the caller (a well-formed view): all below `total`.
    for (const id of freeIds) this.words[base + (id >>> 5)]! |= 1 << (id & 31);
    const end = base + this.capacity[slot]!;
    this.committed.set(this.words.subarray(base, end), base);
    this.totals[slot] = total;
    this.freeCount[slot] = freeIds.length;
  }

  /** Forgets slot `slot` (its worker left the index). */
  clear(slot: number): void {
    this.ensureSlot(slot);
    this.garbage += this.capacity[slot]!;
    this.capacity[slot] = 0;
    this.totals[slot] = 0;
    this.freeCount[slot] = 0;
  }

  isFree(slot: number, id: number): boolean {
    return (this.words[this.offsets[slot]! + (id >>> 5)]! & (1 << (id & 31))) !== 0;
  }

  /** True when core `id` was free before the plan in progress took anything. */
  wasCommittedFree(slot: number, id: number): boolean {
    return (this.committed[this.offsets[slot]! + (id >>> 5)]! & (1 << (id & 31))) !== 0;
  }

  /** Takes k free cores by the core rule; the caller has checked `freeCount[slot] >= k`. */
  takeByRule(slot: number, k: number): number[] {
    const out = takeByRuleAt(this.words, this.offsets[slot]!, this.totals[slot]!, k);
    this.freeCount[slot]! -= k;
    return out;
  }

  /** Takes exactly these cores; the caller has checked they are free. */
  takeExact(slot: number, ids: readonly number[]): void {
    const base = this.offsets[slot]!;
    for (const id of ids) this.words[base + (id >>> 5)]! &= ~(1 << (id & 31));
    this.freeCount[slot]! -= ids.length;
  }

  /** Gives cores back. */
  release(slot: number, ids: readonly number[]): void {
    const base = this.offsets[slot]!;
    for (const id of ids) this.words[base + (id >>> 5)]! |= 1 << (id & 31);
    this.freeCount[slot]! += ids.length;
  }

  /** Hands out `need` words at the end, compacting or growing the arrays first when needed. */
  private allocate(need: number): number {
    if (this.used + need > this.words.length) {
      if (this.garbage * 2 >= this.used) this.compact();
      if (this.used + need > this.words.length) {
        const size = Math.max(this.words.length * 2, this.used + need);
        this.words = grow(this.words, size);
        this.committed = grow(this.committed, size);
      }
    }
    const base = this.used;
    this.used += need;
    return base;
  }

  /** Moves every slot's run to the front, in slot order, dropping the garbage between them. */
  private compact(): void {
    const words = new Int32Array(this.words.length);
    const committed = new Int32Array(this.words.length);
    let next = 0;
    for (let slot = 0; slot < this.offsets.length; slot++) {
      const cap = this.capacity[slot]!;
      if (cap === 0) continue;
      const base = this.offsets[slot]!;
      words.set(this.words.subarray(base, base + cap), next);
      committed.set(this.committed.subarray(base, base + cap), next);
      this.offsets[slot] = next;
      next += cap;
    }
    this.words = words;
    this.committed = committed;
    this.used = next;
    this.garbage = 0;
  }

  private ensureSlot(slot: number): void {
    if (slot < this.offsets.length) return;
    const size = Math.max(slot + 1, this.offsets.length * 2);
    this.freeCount = grow(this.freeCount, size);
    this.offsets = grow(this.offsets, size);
    this.capacity = grow(this.capacity, size);
    this.totals = grow(this.totals, size);
  }
}

function grow(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(size);
  out.set(array);
  return out;
}

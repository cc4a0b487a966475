/**
 * {@link SnapshotFacts} kept across rounds: the live index's workers by slot, the id → slot map
 * for pins, the usable and well-formed counts, and the NEVER_FITS tables ({@link FleetTotals}),
 * each changed one worker at a time. A worker keeps its slot while it stays in the index; the slot
 * of a removed worker is reused.
 */
import { FleetTotals } from './fleet-totals.js';
import type { WorkerShape } from './gang-fit.js';
import type { FleetFacts } from './plan-index.js';
import type { TotalCounts } from './reasons.js';
import { isWellFormedView } from './snapshot-facts.js';
import { coresOf, type WorkerView } from './types.js';

/** See the file comment. Changed only by the {@link LiveIndex} that owns it. */
export class LiveFacts implements FleetFacts {
  readonly workers: (WorkerView | undefined)[] = [];
  readonly workerIds: (string | undefined)[] = [];
  wellFormed = new Uint8Array(16);
  usable = new Uint8Array(16);
  /** Workers held (malformed ones too): `snapshot.workers.length` of the equivalent snapshot. */
  workerCount = 0;
  usableCount = 0;
  wellFormedCount = 0;
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private readonly totals = new FleetTotals();

  /** One past the highest slot ever used: arrays indexed by slot need this length. */
  get slotLimit(): number {
    return this.workers.length;
  }

  indexOf(workerId: string): number {
    return this.slots.get(workerId) ?? -1;
  }

  fitsSomeWorker(cores: number, memoryBytes: number): boolean {
    if (this.wellFormedCount === 0) return true;
    return this.totals.fits(cores, memoryBytes);
  }

  totalCounts(cores: number): TotalCounts {
    return this.totals.totalCounts(cores);
  }

  workerShapes(): readonly WorkerShape[] {
    return this.totals.shapes();
  }

  /**
   * Adds a worker, or replaces the view of the worker with the same id.
   * @returns its slot
   */
  put(view: WorkerView): number {
    let slot = this.slots.get(view.id);
    const wellFormed = isWellFormedView(view);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.workers.length;
      this.slots.set(view.id, slot);
      this.ensure(slot);
      this.workerCount++;
    } else {
      const old = this.workers[slot] as WorkerView;
      const oldWellFormed = this.wellFormed[slot] === 1;
      if (
        oldWellFormed === wellFormed &&
        (!wellFormed || (coresOf(old) === coresOf(view) && old.totalMemoryBytes === view.totalMemoryBytes))
      ) {
        this.uncountFlags(slot);
        this.store(slot, view, wellFormed);
        return slot;
      }
      this.uncount(slot);
    }
    this.store(slot, view, wellFormed);
    this.totals.add(wellFormed, wellFormed ? coresOf(view) : 0, view.totalMemoryBytes);
    return slot;
  }

  /**
   * Removes the worker with this id.
   * @returns the slot it had, or -1 when it was not here
   */
  drop(workerId: string): number {
    const slot = this.slots.get(workerId);
    if (slot === undefined) return -1;
    this.uncount(slot);
    this.slots.delete(workerId);
    this.workers[slot] = undefined;
    this.workerIds[slot] = undefined;
    this.freeSlots.push(slot);
    this.workerCount--;
    return slot;
  }

  /** The ids held, in no particular order. */
  ids(): IterableIterator<string> {
    return this.slots.keys();
  }

  private store(slot: number, view: WorkerView, wellFormed: boolean): void {
    this.workers[slot] = view;
    this.workerIds[slot] = view.id;
    this.wellFormed[slot] = wellFormed ? 1 : 0;
    this.usable[slot] = wellFormed && view.ready === true ? 1 : 0;
    this.wellFormedCount += this.wellFormed[slot];
    this.usableCount += this.usable[slot];
  }

  private uncountFlags(slot: number): void {
    this.wellFormedCount -= this.wellFormed[slot]!;
    this.usableCount -= this.usable[slot]!;
  }

  private uncount(slot: number): void {
    const old = this.workers[slot] as WorkerView;
    const wellFormed = this.wellFormed[slot] === 1;
    this.totals.remove(wellFormed, wellFormed ? coresOf(old) : 0, wellFormed ? old.totalMemoryBytes : 0);
    this.uncountFlags(slot);
    this.wellFormed[slot] = 0;
    this.usable[slot] = 0;
  }

  private ensure(slot: number): void {
    if (slot < this.workers.length) return;
    this.workers.push(undefined);
    this.workerIds.push(undefined);
    if (slot < this.wellFormed.length) return;
    const grown = Math.max(16, this.wellFormed.length * 2);
    const wellFormed = new Uint8Array(grown);
    wellFormed.set(this.wellFormed);
    const usable = new Uint8Array(grown);
    usable.set(this.usable);
    this.wellFormed = wellFormed;
    this.usable = usable;
  }
}

/**
 * Cap of the Docker runtime's short-lived memories (recently-stopped refs whose `die` is ignored,
 * containers with a pending `oom` event, digests of started tasks). They only matter for moments
 * (until the matching `die` or `running` event), so the latest thousand keep memory flat on a
 * long-lived worker.
 */
export const MAX_REMEMBERED = 1000;

/** A set that forgets its oldest entry once it holds more than `max` (insertion order). */
export class RecentSet<T> {
  private readonly items = new Set<T>();

  constructor(private readonly max = MAX_REMEMBERED) {}

  add(item: T): void {
    this.items.add(item);
    if (this.items.size > this.max) {
      const oldest = this.items.values().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
  }

  has(item: T): boolean {
    return this.items.has(item);
  }

  delete(item: T): void {
    this.items.delete(item);
  }
}

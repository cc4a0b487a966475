import type { ComponentRecord } from '../model/records.js';
import { plainCopy } from './plain-copy.js';
import { settle } from './settle.js';
import type { ComponentStore } from './store-ports.js';

/** Orders component records by (name, id), as both adapters list them. */
export function compareComponents(a: ComponentRecord, b: ComponentRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** {@link ComponentStore} in process memory: a map by id. */
export class MemoryComponentStore implements ComponentStore {
  readonly #byId = new Map<string, ComponentRecord>();

  /** Stores a copy of `component`, replacing any record with its id. */
  announce(component: ComponentRecord): Promise<void> {
    return settle(() => {
      this.#byId.set(component.id, plainCopy(component));
    });
  }

  /** Copies of every record, ordered by (name, id). */
  list(): Promise<ComponentRecord[]> {
    return settle(() => [...this.#byId.values()].sort(compareComponents).map((c) => plainCopy(c)));
  }

  /** Deletes the record with this id. */
  remove(id: string): Promise<boolean> {
    return settle(() => this.#byId.delete(id));
  }

  /** Deletes records with `lastSeenAt < beforeMs`. */
  deleteSilentBefore(beforeMs: number): Promise<number> {
    return settle(() => {
      let n = 0;
      for (const [id, c] of this.#byId) {
        if (c.lastSeenAt < beforeMs) {
          this.#byId.delete(id);
          n += 1;
        }
      }
      return n;
    });
  }
}

/**
 * Choices: given a task's demand, which feasible worker gets it. Each choice is a query on the
 * {@link PlanIndex}; the reference scheduler implements the same rule as a scan.
 *
 * | choice      | picks among feasible workers                        | tie-break        |
 * |-------------|-----------------------------------------------------|------------------|
 * | first-fit   | the lowest worker index                             | –                |
 * | best-fit    | the fewest free cores (tightest fit on cores)       | lowest index     |
 * | worst-fit   | the most free cores (spread)                        | lowest index     |
 * | spread      | a worker with no instance of the task's group, else | most free cores, |
 * |             | the fewest instances (uWSGI Legion)                 | lowest index     |
 * | pinned      | only the pinned worker; unpinned tasks: PIN_REQUIRED | –                |
 *
 * Memory is a filter in every choice, never part of the score: ranking on two dimensions would
 * need a weighting nobody asked for, and cores are what the original packed.
 *
 * Pinned tasks bypass the choice in every strategy: they go to their worker or nowhere.
 */
import type { PlanIndex } from './plan-index.js';
import type { IndexNeeds } from './worker-index.js';

/** The names of the choices. */
export type ChoiceName = 'first-fit' | 'best-fit' | 'worst-fit' | 'spread' | 'pinned';

/** A rule picking one feasible worker for an unpinned task. */
export interface Choice {
  readonly name: ChoiceName;
  /** True when unpinned tasks are refused (`PIN_REQUIRED`) instead of placed. */
  readonly requiresPin: boolean;
  /** The index structures {@link pick} queries. */
  readonly needs: IndexNeeds;
  /** True when {@link pick} reads the instances of the task's group (the plan then counts them). */
  readonly usesGroups: boolean;
  /**
   * The chosen worker index, or -1 when no usable worker is feasible.
   * @param holders usable workers holding instances of the task's group → how many (`spread` only)
   */
  pick(index: PlanIndex, cores: number, memoryBytes: number, holders?: ReadonlyMap<number, number>): number;
}

/** Lowest worker index that fits. */
export const firstFitChoice: Choice = {
  name: 'first-fit',
  requiresPin: false,
  needs: { buckets: true },
  usesGroups: false,
  pick: (index, cores, memoryBytes) => index.firstFit(cores, memoryBytes),
};

/** Fewest free cores that fit, then lowest index. */
export const bestFitChoice: Choice = {
  name: 'best-fit',
  requiresPin: false,
  needs: { buckets: true },
  usesGroups: false,
  pick: (index, cores, memoryBytes) => index.bestFit(cores, memoryBytes),
};

/** Most free cores, then lowest index. */
export const worstFitChoice: Choice = {
  name: 'worst-fit',
  requiresPin: false,
  needs: { buckets: true },
  usesGroups: false,
  pick: (index, cores, memoryBytes) => index.worstFit(cores, memoryBytes),
};

/**
 * Anti-affinity per group (uWSGI Legion): the feasible worker with the most free cores among those
 * holding **no** instance of the task's group (lowest index on ties); when none fits, the feasible
 * holder with the **fewest** instances, then the most free cores, then the lowest index. Holders
 * are hidden from the index for one worst-fit query, so a pick costs O(h · log N) for h holders.
 */
export const spreadChoice: Choice = {
  name: 'spread',
  requiresPin: false,
  needs: { buckets: true },
  usesGroups: true,
  pick: (index, cores, memoryBytes, holders) => {
    if (holders === undefined || holders.size === 0) return index.worstFit(cores, memoryBytes);
    const hidden: number[] = [];
    for (const w of holders.keys()) if (index.hide(w)) hidden.push(w);
    const fresh = index.worstFit(cores, memoryBytes);
    for (const w of hidden) index.unhide(w);
    if (fresh >= 0) return fresh;
    let best = -1;
    let bestCount = 0;
    let bestFree = 0;
    for (const [w, count] of holders) {
      if (!index.fits(w, cores, memoryBytes)) continue;
      const free = index.freeCoresOf(w);
      if (
        best < 0 ||
        count < bestCount ||
        (count === bestCount && (free > bestFree || (free === bestFree && index.rank(w) < index.rank(best))))
      ) {
        best = w;
        bestCount = count;
        bestFree = free;
      }
    }
    return best;
  },
};

/** Node scheduling: the client decides; unpinned tasks are refused before planning. */
export const pinnedChoice: Choice = {
  name: 'pinned',
  requiresPin: true,
  needs: { buckets: false },
  usesGroups: false,
  pick: () => -1,
};

/** Every choice by name. */
export const CHOICES: Readonly<Record<ChoiceName, Choice>> = {
  'first-fit': firstFitChoice,
  'best-fit': bestFitChoice,
  'worst-fit': worstFitChoice,
  spread: spreadChoice,
  pinned: pinnedChoice,
};

/**
 * Choices: given a task's demand, which feasible worker gets it. Each choice is a query on the
 * {@link PlanIndex}; the reference scheduler implements the same rule as a scan.
 *
 * | choice      | picks among feasible workers                        | tie-break        |
 * |-------------|-----------------------------------------------------|------------------|
 * | first-fit   | the lowest worker index                             | –                |
 * | best-fit    | the fewest free cores (tightest fit on cores)       | lowest index     |
 * | worst-fit   | the most free cores (spread)                        | lowest index     |
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
export type ChoiceName = 'first-fit' | 'best-fit' | 'worst-fit' | 'pinned';

/** A rule picking one feasible worker for an unpinned task. */
export interface Choice {
  readonly name: ChoiceName;
  /** True when unpinned tasks are refused (`PIN_REQUIRED`) instead of placed. */
  readonly requiresPin: boolean;
  /** The index structures {@link pick} queries. */
  readonly needs: IndexNeeds;
  /** The chosen worker index, or -1 when no usable worker is feasible. */
  pick(index: PlanIndex, cores: number, memoryBytes: number): number;
}

/** Lowest worker index that fits. */
export const firstFitChoice: Choice = {
  name: 'first-fit',
  requiresPin: false,
  needs: { buckets: true },
  pick: (index, cores, memoryBytes) => index.firstFit(cores, memoryBytes),
};

/** Fewest free cores that fit, then lowest index. */
export const bestFitChoice: Choice = {
  name: 'best-fit',
  requiresPin: false,
  needs: { buckets: true },
  pick: (index, cores, memoryBytes) => index.bestFit(cores, memoryBytes),
};

/** Most free cores, then lowest index. */
export const worstFitChoice: Choice = {
  name: 'worst-fit',
  requiresPin: false,
  needs: { buckets: true },
  pick: (index, cores, memoryBytes) => index.worstFit(cores, memoryBytes),
};

/** Node scheduling: the client decides; unpinned tasks are refused before planning. */
export const pinnedChoice: Choice = {
  name: 'pinned',
  requiresPin: true,
  needs: { buckets: false },
  pick: () => -1,
};

/** Every choice by name. */
export const CHOICES: Readonly<Record<ChoiceName, Choice>> = {
  'first-fit': firstFitChoice,
  'best-fit': bestFitChoice,
  'worst-fit': worstFitChoice,
  pinned: pinnedChoice,
};

/**
 * The strategy registry: every strategy is a composition of an ordering and a choice (plus the
 * shared filters), looked up by name. Adding a strategy is one entry here, not a new class.
 *
 * | strategy             | ordering      | choice    | head-of-line blocking |
 * |----------------------|---------------|-----------|-----------------------|
 * | first-fit            | as-submitted  | first-fit | no                    |
 * | best-fit             | as-submitted  | best-fit  | no                    |
 * | first-fit-decreasing | decreasing    | first-fit | no                    |
 * | best-fit-decreasing  | decreasing    | best-fit  | no                    |
 * | worst-fit            | as-submitted  | worst-fit | no                    |
 * | no-scheduler         | as-submitted  | pinned    | no                    |
 * | priority             | priority-aged | best-fit  | yes                   |
 * | spread               | as-submitted  | spread    | no                    |
 */
import { AppError } from '../errors/app-error.js';
import type { ChoiceName } from './choices.js';
import type { OrderingName } from './orderings.js';

/** Every strategy name, in the order the API lists them. */
export const STRATEGY_NAMES = [
  'first-fit',
  'best-fit',
  'first-fit-decreasing',
  'best-fit-decreasing',
  'worst-fit',
  'no-scheduler',
  'priority',
  'spread',
] as const;

/** A strategy name; see {@link STRATEGY_NAMES}. */
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** A strategy: how the batch is ordered and how a worker is chosen for each task. */
export interface Strategy {
  readonly name: StrategyName;
  /** Order in which the batch's tasks are considered. */
  readonly ordering: OrderingName;
  /** Rule choosing a worker for an unpinned task. */
  readonly choice: ChoiceName;
  /**
   * When a job fails for lack of capacity (code NO_CAPACITY on an unpinned task), every job ranked
   * below it is left unplaced (PRIORITY_BLOCKED) instead of taking capacity it is waiting for. This
   * is what turns aging into a no-starvation guarantee; the cost is no backfilling.
   */
  readonly headOfLineBlocking: boolean;
  /** One line for `GET /scheduler` and docs. */
  readonly summary: string;
}

const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  'first-fit': {
    name: 'first-fit',
    ordering: 'as-submitted',
    choice: 'first-fit',
    headOfLineBlocking: false,
    summary: 'Jobs in submission order; each task on the lowest-index worker that fits.',
  },
  'best-fit': {
    name: 'best-fit',
    ordering: 'as-submitted',
    choice: 'best-fit',
    headOfLineBlocking: false,
    summary: 'Jobs in submission order; each task on the worker with the fewest free cores that fit.',
  },
  'first-fit-decreasing': {
    name: 'first-fit-decreasing',
    ordering: 'decreasing',
    choice: 'first-fit',
    headOfLineBlocking: false,
    summary: "The whole batch's tasks largest first; each on the lowest-index worker that fits.",
  },
  'best-fit-decreasing': {
    name: 'best-fit-decreasing',
    ordering: 'decreasing',
    choice: 'best-fit',
    headOfLineBlocking: false,
    summary: "The whole batch's tasks largest first; each on the tightest-fitting worker.",
  },
  'worst-fit': {
    name: 'worst-fit',
    ordering: 'as-submitted',
    choice: 'worst-fit',
    headOfLineBlocking: false,
    summary: 'Jobs in submission order; each task on the worker with the most free cores (spread).',
  },
  'no-scheduler': {
    name: 'no-scheduler',
    ordering: 'as-submitted',
    choice: 'pinned',
    headOfLineBlocking: false,
    summary: 'Node scheduling: every task names its worker (and cores); nothing else is placed.',
  },
  spread: {
    name: 'spread',
    ordering: 'as-submitted',
    choice: 'spread',
    headOfLineBlocking: false,
    summary:
      'Jobs in submission order; each task on a worker without an instance of its group, else the fewest.',
  },
  priority: {
    name: 'priority',
    ordering: 'priority-aged',
    choice: 'best-fit',
    headOfLineBlocking: true,
    summary: 'Jobs by priority plus aging, best-fit, and no job overtakes one waiting for capacity.',
  },
};

/** True when `name` is a registered strategy. */
export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(STRATEGIES, name);
}

/**
 * The strategy registered under `name`.
 * @throws AppError `UNKNOWN_STRATEGY`, naming the valid strategies, when there is none
 */
export function getStrategy(name: string): Strategy {
  if (!isStrategyName(name)) {
    throw new AppError(
      'UNKNOWN_STRATEGY',
      `Unknown scheduling strategy ${JSON.stringify(name)}; valid strategies: ${STRATEGY_NAMES.join(', ')}.`,
    );
  }
  return STRATEGIES[name];
}

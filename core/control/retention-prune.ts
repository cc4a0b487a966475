import type { Stores } from '../store/store-ports.js';

/** How long each kind of record is kept (milliseconds), as `config.retention` gives it. */
export interface RetentionPolicy {
  /** Ended jobs, counted from when they ended. */
  readonly finishedJobsMs: number;
  /** Utilisation samples, counted from when they were taken. */
  readonly usageSamplesMs: number;
  /** Cluster events, counted from when they happened. */
  readonly eventsMs: number;
  /** Component announcements, counted from when the component last announced itself. */
  readonly componentsMs: number;
}

/** Times before which each kind of record is deleted. */
export interface RetentionCutoffs {
  readonly jobsBefore: number;
  readonly usageBefore: number;
  readonly eventsBefore: number;
  readonly componentsBefore: number;
}

/** What one pruning pass deleted. */
export interface PruneCounts {
  readonly jobs: number;
  readonly usageSamples: number;
  readonly events: number;
  readonly components: number;
}

/** The cutoffs at `now`: a record is deleted when its time is strictly before its cutoff. */
export function retentionCutoffs(now: number, policy: RetentionPolicy): RetentionCutoffs {
  return {
    jobsBefore: now - policy.finishedJobsMs,
    usageBefore: now - policy.usageSamplesMs,
    eventsBefore: now - policy.eventsMs,
    componentsBefore: now - policy.componentsMs,
  };
}

/**
 * Deletes what is past retention. Only ended jobs whose tasks have all ended are deleted (the
 * store guarantees it): such a record can no longer change, and no booking refers to it, so no
 * lock or transaction is needed. Every step is a filtered delete of immutable records, hence
 * idempotent, safe to repeat and safe to run from several processes at once (a record deleted by
 * one pass is simply not counted by the other).
 */
export async function pruneExpired(
  stores: Stores,
  now: number,
  policy: RetentionPolicy,
): Promise<PruneCounts> {
  const c = retentionCutoffs(now, policy);
  const jobs = await stores.jobs.deleteEndedBefore(c.jobsBefore);
  const usageSamples = await stores.usage.deleteBefore(c.usageBefore);
  const events = await stores.events.deleteBefore(c.eventsBefore);
  const components = await stores.components.deleteSilentBefore(c.componentsBefore);
  return { jobs, usageSamples, events, components };
}

import type { ServiceLoadCommand } from './control-command.js';

/**
 * Periods a load source may stay silent before its samples stop counting: a gateway that died or
 * lost its link must not hold a service's replicas up for good, and one missed report (a slow
 * cycle) must not drop them.
 */
export const LOAD_STALE_PERIODS = 3;

/** One source's latest sample for one service, as a snapshot stores it. */
export interface ServiceLoadEntry {
  readonly service: string;
  readonly source: string;
  readonly inFlight: number;
  /** When the leader accepted the report. */
  readonly at: number;
  /** The source's report period. */
  readonly periodMs: number;
}

/**
 * The latest load report of each source (gateway), per service: the autoscaler's logged input.
 * Small by construction: services × gateways. A report replaces its source's earlier one whole,
 * so a service the source no longer reports stops counting at once.
 */
export class ServiceLoadTable {
  /** source → its last report's entries. */
  private readonly bySource = new Map<string, readonly ServiceLoadEntry[]>();

  /** Records a report, and forgets sources silent past {@link LOAD_STALE_PERIODS} of their periods. */
  record(cmd: ServiceLoadCommand): void {
    this.bySource.set(
      cmd.source,
      cmd.samples.map((s) => ({
        service: s.name,
        source: cmd.source,
        inFlight: s.inFlight,
        at: cmd.at,
        periodMs: cmd.periodMs,
      })),
    );
    this.prune(cmd.at);
  }

  /** Drops the reports of sources silent for too long at `now`. */
  prune(now: number): void {
    for (const [source, entries] of this.bySource) {
      const first = entries[0];
      if (entries.length === 0 || (first && stale(first, now))) this.bySource.delete(source);
    }
  }

  /**
   * Requests in flight for `service` summed over the fresh reports at `now`; undefined: no report.
   * `counts` picks the sources that count (a queue-length target counts only its queue samples).
   */
  loadOf(service: string, now: number, counts: (source: string) => boolean = () => true): number | undefined {
    let sum: number | undefined;
    for (const [source, entries] of this.bySource)
      if (counts(source))
        for (const e of entries) if (e.service === service && !stale(e, now)) sum = (sum ?? 0) + e.inFlight;
    return sum;
  }

  /** Every entry, by source then service (a snapshot's content). */
  list(): ServiceLoadEntry[] {
    return [...this.bySource.keys()].sort().flatMap((s) => this.bySource.get(s) ?? []);
  }

  restore(entries: readonly ServiceLoadEntry[]): void {
    this.bySource.clear();
    for (const e of entries) this.bySource.set(e.source, [...(this.bySource.get(e.source) ?? []), e]);
  }
}

function stale(e: ServiceLoadEntry, now: number): boolean {
  return now - e.at > LOAD_STALE_PERIODS * e.periodMs;
}

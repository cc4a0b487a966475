import type { ServiceLoadCommand } from './control-command.js';
import { LOAD_STALE_PERIODS } from './service-load.js';

/**
 * Most replicas one report may name ready per service, and most services per report: a report is
 * an intent from a control peer, and the state must stay small whatever it says (maxReplicas is
 * far below either).
 */
export const MAX_READY_REPLICAS = 1_000;
export const MAX_READY_SERVICES = 10_000;

/** One source's latest readiness report for one service, as a snapshot stores it. */
export interface ServiceReadyEntry {
  readonly service: string;
  readonly source: string;
  /** Replica job names the source found ready, sorted. */
  readonly replicas: readonly string[];
  /** When the leader accepted the report. */
  readonly at: number;
  /** The source's report period. */
  readonly periodMs: number;
}

/**
 * Which replicas each gateway last found ready, per service: the health gate of a rolling replace
 * (reconcile-services.ts). Kept like the load samples (service-load.ts): a source's report
 * replaces its earlier one whole, and a source silent for {@link LOAD_STALE_PERIODS} of its
 * periods no longer counts, so a gateway that died does not hold a rollout.
 */
export class ServiceReadyTable {
  /** source → its last report's entries. */
  private readonly bySource = new Map<string, readonly ServiceReadyEntry[]>();

  /**
   * Records a report (one without `ready` says nothing about readiness: the source's earlier
   * readiness is dropped) and forgets stale sources.
   * @returns the services whose ready replicas, as any source reports them, may have changed
   */
  record(cmd: ServiceLoadCommand): string[] {
    const before = this.bySource.get(cmd.source) ?? [];
    const seen = new Set<string>();
    const entries: ServiceReadyEntry[] = [];
    for (const r of (cmd.ready ?? []).slice(0, MAX_READY_SERVICES)) {
      if (typeof r.name !== 'string' || seen.has(r.name) || !Array.isArray(r.replicas)) continue;
      seen.add(r.name);
      const replicas = [...new Set(r.replicas.filter((x) => typeof x === 'string'))]
        .slice(0, MAX_READY_REPLICAS)
        .sort();
      entries.push({ service: r.name, source: cmd.source, replicas, at: cmd.at, periodMs: cmd.periodMs });
    }
    if (entries.length > 0) this.bySource.set(cmd.source, entries);
    else this.bySource.delete(cmd.source);
    const changed = new Set<string>();
    const old = new Map(before.map((e) => [e.service, e.replicas.join('\n')]));
    for (const e of entries) if (old.get(e.service) !== e.replicas.join('\n')) changed.add(e.service);
    for (const e of before) if (!seen.has(e.service)) changed.add(e.service);
    for (const name of this.prune(cmd.at)) changed.add(name);
    return [...changed].sort();
  }

  /**
   * Drops the reports of sources silent for too long at `now`.
   * @returns the services those reports named
   */
  prune(now: number): string[] {
    const dropped: string[] = [];
    for (const [source, entries] of this.bySource) {
      const first = entries[0];
      if (!first || stale(first, now)) {
        this.bySource.delete(source);
        dropped.push(...entries.map((e) => e.service));
      }
    }
    return dropped;
  }

  /**
   * The replicas of `service` some fresh report at `now` found ready; undefined when no fresh
   * report speaks of the service (no gateway routes it: readiness is unknown, not "none").
   */
  readyOf(service: string, now: number): ReadonlySet<string> | undefined {
    let out: Set<string> | undefined;
    for (const entries of this.bySource.values())
      for (const e of entries) {
        if (e.service !== service || stale(e, now)) continue;
        out ??= new Set();
        for (const r of e.replicas) out.add(r);
      }
    return out;
  }

  /**
   * When the earliest fresh report about `service` goes stale (a reconcile waiting on a gateway
   * must look again then); undefined when none speaks of it.
   */
  staleAt(service: string, now: number): number | undefined {
    let at: number | undefined;
    for (const entries of this.bySource.values())
      for (const e of entries) {
        if (e.service !== service || stale(e, now)) continue;
        const t = e.at + LOAD_STALE_PERIODS * e.periodMs + 1;
        if (at === undefined || t < at) at = t;
      }
    return at;
  }

  /** Every entry, by source then service (a snapshot's content). */
  list(): ServiceReadyEntry[] {
    return [...this.bySource.keys()].sort().flatMap((s) => this.bySource.get(s) ?? []);
  }

  restore(entries: readonly ServiceReadyEntry[]): void {
    this.bySource.clear();
    for (const e of entries) this.bySource.set(e.source, [...(this.bySource.get(e.source) ?? []), e]);
  }
}

function stale(e: ServiceReadyEntry, now: number): boolean {
  return now - e.at > LOAD_STALE_PERIODS * e.periodMs;
}

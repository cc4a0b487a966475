/**
 * PhysarumSM's health tiers for one replica: an EWMA of its latency, fed by request outcomes and
 * probes, sorts it into `healthy`, `degraded` (used only when no healthy replica exists) or
 * `ejected` (not routed to until a probe passes).
 */

/** The tier of a replica. */
export type HealthTier = 'healthy' | 'degraded' | 'ejected';

/** The service's latency limits; undefined: latency never demotes a replica. */
export type LatencyLimits = { readonly softMs: number; readonly hardMs: number } | undefined;

/** The smoothing of the latency average, PhysarumSM's (and the latency monitor's) α. */
export const LATENCY_EWMA_ALPHA = 0.1;

/** One replica's latency average and tier; pure, no clock, no I/O. */
export class ReplicaHealth {
  private tierNow: HealthTier = 'healthy';
  private average: number | undefined;

  /** The current tier. */
  get tier(): HealthTier {
    return this.tierNow;
  }

  /** The EWMA of latency in ms, undefined before the first sample. */
  get ewmaMs(): number | undefined {
    return this.average;
  }

  /**
   * A response's time to headers. A single response above `hardMs` ejects (the design's rule:
   * one such response already breaks the service's promise); otherwise the average decides.
   */
  recordResponse(latencyMs: number, limits: LatencyLimits): void {
    this.sample(latencyMs);
    if (this.tierNow === 'ejected') return; // only a probe brings it back
    if (limits && latencyMs > limits.hardMs) {
      this.tierNow = 'ejected';
      return;
    }
    this.tierNow = this.tierFromAverage(limits);
  }

  /**
   * A probe's outcome. A passing probe readmits an ejected replica and restarts its average from
   * the probe's latency: the old average still holds the breach that ejected it and would eject it
   * again on the next sample.
   */
  recordProbe(ok: boolean, latencyMs: number, limits: LatencyLimits): void {
    if (!ok) {
      this.tierNow = 'ejected';
      return;
    }
    if (this.tierNow === 'ejected') this.average = latencyMs;
    else this.sample(latencyMs);
    this.tierNow = this.tierFromAverage(limits);
  }

  /** The replica refused or dropped a connection before answering: ejected until a probe passes. */
  recordConnectFailure(): void {
    this.tierNow = 'ejected';
  }

  private sample(latencyMs: number): void {
    this.average =
      this.average === undefined
        ? latencyMs
        : LATENCY_EWMA_ALPHA * latencyMs + (1 - LATENCY_EWMA_ALPHA) * this.average;
  }

  private tierFromAverage(limits: LatencyLimits): HealthTier {
    if (!limits || this.average === undefined) return 'healthy';
    if (this.average > limits.hardMs) return 'ejected';
    return this.average > limits.softMs ? 'degraded' : 'healthy';
  }
}

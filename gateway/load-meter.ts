/**
 * Requests in flight per service at this gateway, averaged over time: the autoscaler's input
 * (docs/design/services.md, "The autoscaler's control law"). A request counts from the moment its
 * service is known until its answer ends, whether it waits in a queue, for a cold start or for the
 * replica: all of that is demand.
 */
import type { ServiceLoadSample } from '../core/control-state/control-command.js';

interface Meter {
  /** Requests in flight now. */
  current: number;
  /** ∫ current dt since the period began (request·ms). */
  area: number;
  /** When `area` was last brought up to date. */
  since: number;
}

/** The time-weighted average of requests in flight, per service, between two {@link take}s. */
export class LoadMeter {
  private readonly meters = new Map<string, Meter>();
  private periodStart: number;

  constructor(now: number) {
    this.periodStart = now;
  }

  /** A request for `service` began at `now` (monotonic ms). */
  enter(service: string, now: number): void {
    const m = this.meter(service, now);
    m.current++;
  }

  /** A request for `service` ended at `now`. */
  leave(service: string, now: number): void {
    const m = this.meter(service, now);
    m.current = Math.max(0, m.current - 1);
  }

  /**
   * The average in flight per service since the last call (only services that had requests), and
   * starts the next period. Services with nothing in flight and nothing during the period are
   * forgotten.
   */
  take(now: number): ServiceLoadSample[] {
    const span = Math.max(1, now - this.periodStart);
    const out: ServiceLoadSample[] = [];
    for (const [name, m] of [...this.meters].sort(([a], [b]) => (a < b ? -1 : 1))) {
      advance(m, now);
      const avg = m.area / span;
      if (avg > 0 || m.current > 0) out.push({ name, inFlight: Math.round(avg * 1000) / 1000 });
      m.area = 0;
      if (m.current === 0) this.meters.delete(name);
    }
    this.periodStart = now;
    return out;
  }

  private meter(service: string, now: number): Meter {
    let m = this.meters.get(service);
    if (!m) this.meters.set(service, (m = { current: 0, area: 0, since: now }));
    advance(m, now);
    return m;
  }
}

function advance(m: Meter, now: number): void {
  if (now > m.since) {
    m.area += m.current * (now - m.since);
    m.since = now;
  }
}

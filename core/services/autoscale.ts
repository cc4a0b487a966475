/**
 * The autoscaler's control law (docs/design/services.md, "The autoscaler's control law"): pure,
 * so the leader's decisions can be table- and property-tested, and so that every decision is a
 * logged command carrying its inputs and its outcome.
 *
 * Per service with `autoscale`, once per `periodMs`:
 *
 * ```
 * wanted  = clamp(ceil(load / target), minReplicas, maxReplicas)
 * up      : wanted > desired  → desired + min(wanted - desired, maxStep), at once
 * down    : wanted < desired  → desired - min(desired - wanted, maxStep), only after `downPeriods`
 *           decisions in a row wanted fewer, and not within `coolDownMs` of the last change
 * ```
 *
 * Across services, every tick: scale-ups share the global cap (higher priority first); a service
 * with replicas unplaced for lack of capacity holds lower-priority scale-ups, and takes capacity
 * from lower-priority services' placed replicas above their minimum, lowest priority first.
 */
import type { ServiceRecord } from './service-model.js';

/** One replica of a service as the law sees it. */
export interface AutoscaleReplica {
  /** Its replica number (newer replicas have higher numbers). */
  readonly replica: number;
  /** Placed on a worker (starting or running), as opposed to waiting. */
  readonly placed: boolean;
  /** Waiting with the scheduler's "cannot place" reason. */
  readonly unplaced: boolean;
}

/** One service's inputs. */
export interface AutoscaleServiceInput {
  readonly record: ServiceRecord;
  /** Live replicas not being stopped. */
  readonly replicas: readonly AutoscaleReplica[];
  /** Replicas being stopped that still hold their cores. */
  readonly stopping: number;
  /** Requests in flight summed over the gateways' fresh reports; undefined: none reported. */
  readonly load: number | undefined;
}

/** The whole input of one tick. */
export interface AutoscaleInput {
  /** The leader's clock, ms. */
  readonly now: number;
  /** Global cap on the sum of desired replicas over every service (`services.maxReplicas`). */
  readonly maxReplicas: number;
  readonly services: readonly AutoscaleServiceInput[];
}

/** One decision: what a `service-autoscale` command carries. */
export interface AutoscaleDecision {
  readonly name: string;
  readonly from: number;
  readonly desired: number;
  readonly load: number;
  readonly wanted: number;
  readonly downStreak: number;
  readonly reason: 'load' | 'preempted' | 'held' | 'capped';
  readonly for?: string;
}

/** Services in the order capacity goes to them: higher priority first, then by name. */
const byPriority = (a: AutoscaleServiceInput, b: AutoscaleServiceInput): number =>
  b.record.spec.priority - a.record.spec.priority || (a.record.spec.name < b.record.spec.name ? -1 : 1);

/** `ceil(load / target)`, immune to float noise (2.0000000001 is 2). */
export function replicasFor(load: number, target: number): number {
  return Math.max(0, Math.ceil(load / target - 1e-9));
}

/** True when the service's period has passed since its last decision. */
export function isDue(s: AutoscaleServiceInput, now: number): boolean {
  const a = s.record.spec.autoscale;
  if (!a) return false;
  const last = s.record.autoscale?.lastDecisionAt;
  return last === undefined || now - last >= a.periodMs;
}

/**
 * The law for one service on its own (no cap, no priorities): the next desired count and down
 * streak. Exported for the table tests; {@link decideAutoscale} is what the leader runs.
 */
export function lawFor(
  s: AutoscaleServiceInput,
  now: number,
): Omit<AutoscaleDecision, 'reason'> & { reason: 'load' } {
  const { spec, desired, autoscale: memory } = s.record;
  const a = spec.autoscale;
  if (!a) throw new Error(`service ${spec.name} has no autoscale target`);
  const load = s.load ?? 0;
  const wanted = Math.min(spec.maxReplicas, Math.max(spec.minReplicas, replicasFor(load, a.target)));
  const base = { name: spec.name, from: desired, load, wanted, reason: 'load' as const };
  if (wanted > desired)
    return { ...base, desired: desired + Math.min(wanted - desired, a.maxStep), downStreak: 0 };
  if (wanted === desired) return { ...base, desired, downStreak: 0 };
  const streak = (memory?.downStreak ?? 0) + 1;
  // Any change of the count restarts the cool-down: the law's own, a cold start, an operator's.
  const lastChange = Math.max(memory?.lastChangeAt ?? Number.NEGATIVE_INFINITY, s.record.updatedAt);
  if (streak < a.downPeriods || now - lastChange < a.coolDownMs)
    return { ...base, desired, downStreak: streak };
  return { ...base, desired: desired - Math.min(desired - wanted, a.maxStep), downStreak: 0 };
}

/**
 * Every decision of one tick: the law for each due service, then the cross-service rules
 * (hold, cap, preemption). Services not due and not preempted get no decision.
 */
export function decideAutoscale(input: AutoscaleInput): AutoscaleDecision[] {
  const services = [...input.services].sort(byPriority);
  const decisions = new Map<string, AutoscaleDecision>();
  for (const s of services) if (isDue(s, input.now)) decisions.set(s.record.spec.name, lawFor(s, input.now));

  // Replicas unplaced for lack of capacity hold every lower-priority scale-up: the capacity a
  // lower one would take is what the higher one waits for.
  const starved = services.filter((s) => s.replicas.some((r) => r.unplaced));
  const topStarved = Math.max(Number.NEGATIVE_INFINITY, ...starved.map((s) => s.record.spec.priority));
  for (const s of services) {
    const d = decisions.get(s.record.spec.name);
    if (d && d.desired > d.from && s.record.spec.priority < topStarved)
      decisions.set(d.name, { ...d, desired: d.from, reason: 'held' });
  }

  // The global cap: decreases first free room, then increases in priority order take it.
  const next = (s: AutoscaleServiceInput): number =>
    decisions.get(s.record.spec.name)?.desired ?? s.record.desired;
  let total = services.reduce((n, s) => n + Math.min(s.record.desired, next(s)), 0);
  for (const s of services) {
    const d = decisions.get(s.record.spec.name);
    if (!d || d.desired <= d.from) continue;
    const grant = Math.min(d.desired - d.from, Math.max(0, input.maxReplicas - total));
    total += grant;
    if (grant < d.desired - d.from)
      decisions.set(d.name, { ...d, desired: d.from + grant, reason: 'capped' });
  }

  // Preemption, once the previous one's stops have freed their cores (else it would take twice).
  if (services.some((s) => s.stopping > 0)) return [...decisions.values()];
  const taken = new Map<string, number>();
  for (const h of starved) {
    let need = h.replicas.filter((r) => r.unplaced).length * h.record.spec.cores;
    const victims = services
      .filter((v) => v.record.spec.priority < h.record.spec.priority)
      .sort((a, b) => -byPriority(a, b));
    for (const v of victims) {
      if (need <= 0) break;
      const vs = v.record.spec;
      const placed = v.replicas.filter((r) => r.placed).length - (taken.get(vs.name) ?? 0);
      const removable = placed - vs.minReplicas;
      if (removable <= 0) continue;
      const k = Math.min(removable, Math.ceil(need / vs.cores));
      need -= k * vs.cores;
      taken.set(vs.name, (taken.get(vs.name) ?? 0) + k);
      // Its waiting replicas go too (they are stopped first), so the count is its placed ones
      // minus those taken.
      const desired = Math.min(v.record.desired, placed - k);
      const prior = decisions.get(vs.name);
      decisions.set(vs.name, {
        name: vs.name,
        from: v.record.desired,
        desired,
        load: prior?.load ?? v.load ?? 0,
        wanted: prior?.wanted ?? desired,
        downStreak: 0,
        reason: 'preempted',
        for: h.record.spec.name,
      });
    }
  }
  return [...decisions.values()];
}

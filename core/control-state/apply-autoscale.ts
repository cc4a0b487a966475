import type { ServiceAutoscaleCommand, ServiceLoadCommand } from './control-command.js';
import type { ServiceLoadTable } from './service-load.js';
import type { ServiceReadyTable } from './service-readiness.js';
import type { ServiceTable } from './service-table.js';
import { noEffects, refused, type Effects } from './state-effects.js';

/** What the autoscaler's commands change. */
export interface AutoscaleStateWriter {
  readonly services: ServiceTable;
  readonly serviceLoad: ServiceLoadTable;
  readonly serviceReady: ServiceReadyTable;
}

/**
 * Applies the autoscaler's commands: a gateway's load report (recorded as is, with the replicas it
 * found ready), and a decision of
 * the control law (core/services/autoscale.ts), which sets the desired count and the law's memory
 * (last decision, last change, down streak) so that the next decision, live or replayed, is the
 * same. Starting and stopping replicas to match is the leader's reconcile, as for `service-scale`.
 */
export function applyAutoscaleCommand(
  s: AutoscaleStateWriter,
  cmd: ServiceLoadCommand | ServiceAutoscaleCommand,
): Effects {
  if (cmd.kind === 'service-load') {
    s.serviceLoad.record(cmd);
    // A replica found ready (or no longer) may let a rolling replace go on.
    for (const name of s.serviceReady.record(cmd)) s.services.markDirty(name);
    return noEffects();
  }
  const r = s.services.get(cmd.name);
  if (!r) return refused('SERVICE_NOT_FOUND', `no service named "${cmd.name}"`);
  // Decided on an older count (a cold start or an operator changed it since): the next period
  // decides again on the new one.
  if (r.desired !== cmd.from)
    return refused('CONFLICT', `${cmd.name}: desired is ${r.desired}, the decision was made on ${cmd.from}`);
  const desired = Math.min(r.spec.maxReplicas, Math.max(r.spec.minReplicas, cmd.desired));
  const changed = desired !== r.desired;
  const fx = noEffects();
  s.services.put({
    ...r,
    desired,
    ...(changed ? { updatedAt: cmd.at } : {}),
    autoscale: {
      lastDecisionAt: cmd.reason === 'preempted' ? (r.autoscale?.lastDecisionAt ?? cmd.at) : cmd.at,
      lastChangeAt: changed ? cmd.at : (r.autoscale?.lastChangeAt ?? 0),
      downStreak: cmd.downStreak,
      load: cmd.load,
    },
  });
  if (changed) {
    const why =
      cmd.reason === 'preempted' ? `preempted for ${cmd.for ?? '?'}` : `${cmd.reason}, load ${cmd.load}`;
    fx.events.push({
      at: cmd.at,
      kind: 'service-autoscaled',
      detail: `${cmd.name} ${r.desired} → ${desired} (${why})`,
    });
  }
  return fx;
}

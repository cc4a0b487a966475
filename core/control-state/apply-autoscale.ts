import type { ServiceAutoscaleCommand, ServiceLoadCommand } from './control-command.js';
import type { ServiceLoadTable } from './service-load.js';
import type { ServiceTable } from './service-table.js';
import { noEffects, refused, type Effects } from './state-effects.js';

/** What the autoscaler's commands change. */
export interface AutoscaleStateWriter {
  readonly services: ServiceTable;
  readonly serviceLoad: ServiceLoadTable;
}

/**
 * Applies the autoscaler's commands: a gateway's load report (recorded as is), and a decision of
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

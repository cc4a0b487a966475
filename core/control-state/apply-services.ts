import { isTerminalJobState } from '../job/job-state.js';
import type { ServiceRecord } from '../services/service-model.js';
import { applyJobCommand } from './apply-jobs.js';
import type { ServiceDeleteCommand, ServicePutCommand, ServiceScaleCommand } from './control-command.js';
import type { ServiceTable } from './service-table.js';
import { mergeEffects, noEffects, refused, type Effects } from './state-effects.js';
import type { StateWriter } from './state-writer.js';

/** What applying a service command needs of the state. */
export interface ServiceStateWriter extends StateWriter {
  readonly services: ServiceTable;
}

/**
 * Applies a service command. Only the records change here (definition, desired count); starting
 * and stopping replicas to match is the leader's reconcile (reconcile-services.ts), logged as
 * ordinary `submit` and `cancel` commands, except for the replicas a command names itself (a
 * deleted service's, a released one), cancelled in the same step so no request races them.
 */
export function applyServiceCommand(
  s: ServiceStateWriter,
  cmd: ServicePutCommand | ServiceDeleteCommand | ServiceScaleCommand,
): Effects {
  switch (cmd.kind) {
    case 'service-put':
      return put(s, cmd);
    case 'service-delete':
      return remove(s, cmd);
    case 'service-scale':
      return scale(s, cmd);
  }
}

const clamp = (n: number, r: ServiceRecord): number =>
  Math.min(r.spec.maxReplicas, Math.max(r.spec.minReplicas, n));

function put(s: ServiceStateWriter, cmd: ServicePutCommand): Effects {
  const before = s.services.get(cmd.spec.name);
  // A new generation starts unpinned: its digest is the one its first running replica reports.
  const record: ServiceRecord = before
    ? {
        ...unpinned(before),
        spec: cmd.spec,
        desired: clamp(before.desired, { ...before, spec: cmd.spec }),
        generation: before.generation + 1,
        updatedAt: cmd.at,
      }
    : {
        spec: cmd.spec,
        desired: cmd.spec.minReplicas,
        nextReplica: 1,
        generation: 1,
        createdAt: cmd.at,
        updatedAt: cmd.at,
      };
  s.services.put(record);
  const fx = noEffects();
  fx.events.push({
    at: cmd.at,
    kind: before ? 'service-updated' : 'service-created',
    detail: `${cmd.spec.name} generation ${record.generation}`,
  });
  return fx;
}

/** `r` without its pinned digest (the key left out, not undefined: snapshots compare equal). */
function unpinned(r: ServiceRecord): ServiceRecord {
  const copy: { -readonly [K in keyof ServiceRecord]: ServiceRecord[K] } = { ...r };
  delete copy.imageDigest;
  return copy;
}

function remove(s: ServiceStateWriter, cmd: ServiceDeleteCommand): Effects {
  if (!s.services.get(cmd.name)) return refused('SERVICE_NOT_FOUND', `no service named "${cmd.name}"`);
  s.services.delete(cmd.name);
  const fx = noEffects();
  fx.events.push({ at: cmd.at, kind: 'service-deleted', detail: cmd.name });
  for (const job of s.services.liveReplicas(cmd.name)) cancelReplica(s, job, cmd.at, fx);
  return fx;
}

function scale(s: ServiceStateWriter, cmd: ServiceScaleCommand): Effects {
  const r = s.services.get(cmd.name);
  if (!r) return refused('SERVICE_NOT_FOUND', `no service named "${cmd.name}"`);
  const fx = noEffects();
  let desired = r.desired;
  if (cmd.mode === 'exact') desired = clamp(cmd.replicas, r);
  else if (cmd.mode === 'at-least') desired = Math.max(r.desired, clamp(cmd.replicas, r));
  else {
    const job = cmd.replica ?? '';
    const live = s.services.liveReplicas(cmd.name);
    // Only a replica of this service, and never below the minimum: a stale release is a no-op.
    if (!live.includes(job) || live.length <= r.spec.minReplicas) return fx;
    desired = clamp(Math.min(r.desired, live.length) - 1, r);
    cancelReplica(s, job, cmd.at, fx);
  }
  if (desired !== r.desired) {
    s.services.put({ ...r, desired, updatedAt: cmd.at });
    fx.events.push({ at: cmd.at, kind: 'service-scaled', detail: `${cmd.name} ${r.desired} → ${desired}` });
  }
  return fx;
}

function cancelReplica(s: ServiceStateWriter, job: string, at: number, fx: Effects): void {
  const j = s.job(job);
  if (!j || j.cancelRequested || isTerminalJobState(j.state)) return;
  mergeEffects(fx, applyJobCommand(s, { kind: 'cancel', at, job }));
}

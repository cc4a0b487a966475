import { isTerminalJobState } from '../job/job-state.js';
import type { JobRecord } from '../model/records.js';
import { replicaJobName, replicaJobSpec, type ServiceRecord } from '../services/service-model.js';
import type { CancelCommand, SubmitCommand } from './control-command.js';
import type { ServiceTable } from './service-table.js';

/** What reconciling needs of the state (reads only). */
export interface ServiceReads {
  readonly services: ServiceTable;
  job(name: string): JobRecord | undefined;
  hasEnded(name: string): boolean;
}

/**
 * The commands that bring each named service's replicas to its desired count: pure, so the
 * leader's decision is logged as ordinary `submit` and `cancel` commands and replays exactly.
 *
 * - Too few live replicas: submit new ones (current generation), under fresh names.
 * - Too many: cancel the surplus, unplaced ones first, then the newest.
 * - A new definition (rolling replace): one replica of the new generation pending at a time, and
 *   an old one cancelled for each new one that runs, so the running count never drops below the
 *   desired count while the image changes. (Running is what the leader knows; the gateway's
 *   readiness probes keep traffic off a replica that runs but does not answer yet.)
 */
export function reconcileServices(
  s: ServiceReads,
  names: readonly string[],
  at: number,
): (SubmitCommand | CancelCommand)[] {
  const out: (SubmitCommand | CancelCommand)[] = [];
  for (const name of names) {
    const record = s.services.get(name);
    if (!record) continue; // deleted: its replicas were cancelled with it
    reconcileOne(s, record, at, out);
  }
  return out;
}

function reconcileOne(
  s: ServiceReads,
  r: ServiceRecord,
  at: number,
  out: (SubmitCommand | CancelCommand)[],
): void {
  const live = s.services
    .liveReplicas(r.spec.name)
    .map((n) => s.job(n))
    .filter((j): j is JobRecord => j !== undefined && !j.cancelRequested && !isTerminalJobState(j.state));
  const current = live.filter((j) => j.spec.service?.generation === r.generation);
  const old = live.filter((j) => j.spec.service?.generation !== r.generation);
  let next = r.nextReplica;
  const submit = (): void => {
    let name = replicaJobName(r.spec.name, next);
    // A job someone submitted under a replica's name: skip the number.
    while (s.job(name) || s.hasEnded(name)) name = replicaJobName(r.spec.name, ++next);
    out.push({ kind: 'submit', at, spec: replicaJobSpec(r, next) });
    next++;
  };
  const cancel = (j: JobRecord): void => {
    out.push({ kind: 'cancel', at, job: j.name });
  };

  const running = current.filter((j) => j.state === 'running').length;
  // Old replicas carry the load until new ones run: keep as many as the running new ones lack.
  const keepOld = Math.min(old.length, Math.max(0, r.desired - running));
  [...old]
    .sort(byCancelOrder)
    .slice(0, old.length - keepOld)
    .forEach(cancel);
  // While replacing, one new replica pending at a time; otherwise all that are missing at once.
  const wantCurrent = old.length > 0 ? Math.min(r.desired, running + 1) : r.desired;
  if (current.length > wantCurrent) {
    [...current]
      .sort(byCancelOrder)
      .slice(0, current.length - wantCurrent)
      .forEach(cancel);
  }
  for (let i = current.length; i < wantCurrent; i++) submit();
}

/** Which replicas go first: unplaced, then placed but not running, then running; newest first. */
function byCancelOrder(a: JobRecord, b: JobRecord): number {
  const rank = (j: JobRecord): number => (j.state === 'waiting' ? 0 : j.state === 'running' ? 2 : 1);
  return rank(a) - rank(b) || (b.spec.service?.replica ?? 0) - (a.spec.service?.replica ?? 0);
}

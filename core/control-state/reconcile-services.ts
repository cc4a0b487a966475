import { isTerminalJobState } from '../job/job-state.js';
import type { JobRecord } from '../model/records.js';
import {
  replicaJobName,
  replicaJobSpec,
  SERVICE_DEFAULTS,
  type ServiceRecord,
} from '../services/service-model.js';
import type { CancelCommand, SubmitCommand } from './control-command.js';
import type { ServiceReadyTable } from './service-readiness.js';
import type { ServiceTable } from './service-table.js';

/** What reconciling needs of the state (reads only, but for the leader's wake-ups). */
export interface ServiceReads {
  readonly services: ServiceTable;
  readonly serviceReady: ServiceReadyTable;
  job(name: string): JobRecord | undefined;
  hasEnded(name: string): boolean;
}

/**
 * While a rolling replace waits on a gateway's word, how often the leader looks again anyway
 * (the gateway's report may have gone stale: then the grace period decides).
 */
export const READY_RECHECK_MS = 1_000;

/**
 * The commands that bring each named service's replicas to its desired count: pure, so the
 * leader's decision is logged as ordinary `submit` and `cancel` commands and replays exactly.
 *
 * - Too few live replicas: submit new ones (current generation), under fresh names.
 * - Too many: cancel the surplus, unplaced ones first, then the newest.
 * - A new definition (rolling replace): one replica of the new generation pending at a time, and
 *   an old one cancelled for each new one that is **ready**, so the ready count never drops below
 *   the desired count while the definition changes. Ready: a gateway's fresh report names it (it
 *   passed the gateway's probe and is not ejected); for a service no gateway reports on, it has
 *   run for the service's `healthGraceMs`. A replica still waiting for either asks the leader to
 *   look again ({@link ServiceTable.wakeAt}), since nothing else may change meanwhile.
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

  const gateways = s.serviceReady.readyOf(r.spec.name, at);
  const grace = r.spec.healthGraceMs ?? SERVICE_DEFAULTS.healthGraceMs;
  let ready = 0;
  for (const j of current) {
    if (j.state !== 'running') continue;
    const since = j.startedAt ?? at;
    if (gateways ? gateways.has(j.name) : at - since >= grace) ready++;
    else if (old.length > 0)
      s.services.wakeAt(
        r.spec.name,
        gateways
          ? Math.min(at + READY_RECHECK_MS, s.serviceReady.staleAt(r.spec.name, at) ?? at)
          : since + grace,
      );
  }
  // Old replicas carry the load until new ones are ready: keep as many as the ready new ones lack.
  const keepOld = Math.min(old.length, Math.max(0, r.desired - ready));
  [...old]
    .sort(byCancelOrder)
    .slice(0, old.length - keepOld)
    .forEach(cancel);
  // While replacing, one new replica pending at a time; otherwise all that are missing at once.
  const wantCurrent = old.length > 0 ? Math.min(r.desired, ready + 1) : r.desired;
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

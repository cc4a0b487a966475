import { isTerminalJobState } from '../job/job-state.js';
import type { AutoscaleInput } from '../services/autoscale.js';
import { countsAsLoad } from '../services/queue-length-probe.js';
import type { ControlState } from './control-state.js';

/**
 * The control law's input read from the leader's state at `now` (core/services/autoscale.ts):
 * each service's record, its live replicas (placed, or waiting with the scheduler's reason), the
 * replicas being stopped, and the fresh load reports (the gateways', or its queue's samples).
 */
export function autoscaleInputOf(state: ControlState, now: number, maxReplicas: number): AutoscaleInput {
  return {
    now,
    maxReplicas,
    services: state.services.list().map((record) => {
      const jobs = state.services
        .liveReplicas(record.spec.name)
        .flatMap((n) => state.job(n) ?? [])
        .filter((j) => !isTerminalJobState(j.state));
      const live = jobs.filter((j) => !j.cancelRequested);
      return {
        record,
        replicas: live.map((j) => ({
          replica: j.spec.service?.replica ?? 0,
          placed: j.state !== 'waiting',
          unplaced: j.state === 'waiting' && j.unplacedReason !== null,
        })),
        stopping: jobs.length - live.length,
        // A queue-length target counts only its queue's samples; in-flight only the gateways'.
        load: state.serviceLoad.loadOf(record.spec.name, now, (source) => countsAsLoad(record.spec, source)),
      };
    }),
  };
}

import type { ControlCommand, Effects } from '../../core/control-state/index.js';
import type { ControlState } from '../../core/control-state/index.js';
import type { JobSpec, RestartPolicy } from '../../core/job/job-model.js';
import type { Report } from '../../core/protocol/messages.js';
import { schedule } from '../../core/scheduler/index.js';
import { requestsOf, snapshotOf } from '../../core/control/index.js';

export const MiB = 1024 ** 2;

/** A normalised job spec of tasks with `cores` each (64 MiB, busybox). */
export function jobSpec(
  name: string,
  cores: readonly number[],
  restart: Partial<RestartPolicy> = {},
  priority = 0,
): JobSpec {
  return {
    name,
    format: 'native',
    priority,
    network: { name: `net-${name}`, driver: 'auto', subnet: undefined },
    restartPolicy: { mode: 'on-failure', maxAttempts: 3, requeueOnWorkerLoss: true, ...restart },
    tasks: cores.map((c, i) => ({
      name: `t${i}`,
      image: 'busybox',
      command: undefined,
      cores: c,
      memoryBytes: 64 * MiB,
      pin: undefined,
      ports: [],
      volumes: [],
      env: {},
      runSeconds: undefined,
      deadline: undefined,
    })),
  };
}

/** A `worker-joined` command for a worker with cores 0..n-1. */
export function joinCmd(id: string, cores: number, at = 0, memoryBytes = 1024 * MiB): ControlCommand {
  return {
    kind: 'worker-joined',
    at,
    worker: {
      id,
      runtime: 'simulated',
      coreIds: Array.from({ length: cores }, (_, i) => i),
      totalMemoryBytes: memoryBytes,
    },
  };
}

/**
 * Plans the state's waiting jobs with the real scheduler and returns the `place` command, as the
 * leader does (the plan is made on a snapshot; the command re-checks it when applied).
 */
export function planCmd(s: ControlState, at: number, strategy = 'best-fit'): ControlCommand {
  const waiting = s.waitingJobs();
  const plan = schedule(snapshotOf(s.workers(), 1), requestsOf(waiting), strategy, { nowMs: at });
  const memory = new Map(waiting.flatMap((j) => j.tasks.map((t) => [`${j.name}/${t.name}`, t.memoryBytes])));
  return {
    kind: 'place',
    at,
    attempts: Object.fromEntries(waiting.map((j) => [j.name, j.attempt])),
    placements: plan.placements.map((p) => ({
      job: p.jobId,
      task: p.taskId,
      workerId: p.workerId,
      coreIds: p.coreIds,
      memoryBytes: memory.get(`${p.jobId}/${p.taskId}`) ?? p.memoryBytes,
    })),
    misses: plan.unplaced.map((u) => ({ job: u.jobId, reason: u.reason, neverFits: u.neverFits })),
  };
}

/** A report of the current attempt of `job`/`task` from where the state placed it. */
export function reportOf(
  s: ControlState,
  job: string,
  task: string,
  state: Report['state'],
  at: number,
  extra: Partial<Report> = {},
): Report {
  const j = s.job(job);
  if (!j) throw new Error(`no live job ${job}`);
  const t = j.tasks.find((x) => x.name === task);
  return {
    type: 'report',
    v: 1,
    id: `${job}/${task}/${state}/${at}`,
    job,
    task,
    attempt: j.attempt,
    workerId: t?.workerId ?? 'nowhere',
    state,
    exitCode: state === 'finished' ? 0 : state === 'failed' ? 1 : null,
    reason: state === 'failed' ? 'boom' : null,
    at,
    ...extra,
  };
}

/** Applies commands in order; returns the last effects. */
export function applyAll(s: ControlState, cmds: readonly ControlCommand[]): Effects | undefined {
  let fx: Effects | undefined;
  for (const c of cmds) fx = s.apply(c);
  return fx;
}

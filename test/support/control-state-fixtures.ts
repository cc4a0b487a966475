import fc from 'fast-check';
import type { ControlCommand, Effects } from '../../core/control-state/index.js';
import type { ControlState } from '../../core/control-state/index.js';
import { planRound } from '../../core/control-state/plan-round.js';
import type { JobSpec, RestartPolicy } from '../../core/job/job-model.js';
import type { Report } from '../../core/protocol/messages.js';
import { STRATEGY_NAMES, schedule } from '../../core/scheduler/index.js';
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
    misses: plan.unplaced.map((u) => ({
      job: u.jobId,
      reason: u.reason,
      neverFits: u.neverFits,
      code: u.code,
    })),
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

/** Worker ids of {@link arbStreamStep} streams; ids that sort unlike their numbers (w10 < w2). */
export const STREAM_WORKERS = ['w0', 'w1', 'w2', 'w10', 'w11'] as const;

/**
 * One step of a random command stream for the live-index properties: submissions (some pinned),
 * scheduling rounds through {@link planRound} under any strategy, cancels, reports, and every
 * worker change (join with any size, more than 32 cores too; loss; drain; removal).
 */
export const arbStreamStep = fc.oneof(
  fc.record({
    k: fc.constant('submit' as const),
    job: fc.constantFrom('a', 'b', 'c', 'd'),
    cores: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    pin: fc.option(fc.constantFrom(...STREAM_WORKERS, 'ghost'), { freq: 4 }),
    priority: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ k: fc.constant('plan' as const), strategy: fc.constantFrom(...STRATEGY_NAMES) }),
  fc.record({ k: fc.constant('cancel' as const), job: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({
    k: fc.constant('report' as const),
    job: fc.constantFrom('a', 'b', 'c', 'd'),
    task: fc.integer({ min: 0, max: 2 }),
    state: fc.constantFrom('running', 'finished', 'failed'),
  }),
  fc.record({ k: fc.constant('lost' as const), worker: fc.constantFrom(...STREAM_WORKERS) }),
  fc.record({
    k: fc.constant('join' as const),
    worker: fc.constantFrom(...STREAM_WORKERS),
    cores: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 33, max: 40 })),
  }),
  fc.record({
    k: fc.constant('drain' as const),
    worker: fc.constantFrom(...STREAM_WORKERS),
    on: fc.boolean(),
  }),
  fc.record({ k: fc.constant('remove' as const), worker: fc.constantFrom(...STREAM_WORKERS) }),
);

/** A step drawn by {@link arbStreamStep}. */
export type StreamStep = typeof arbStreamStep extends fc.Arbitrary<infer T> ? T : never;

/** The command a stream step stands for on the state as it is now (undefined: nothing to do). */
export function streamCommand(s: ControlState, x: StreamStep, at: number): ControlCommand | undefined {
  switch (x.k) {
    case 'submit': {
      const spec = jobSpec(`${x.job}${at}`, x.cores, {}, x.priority);
      const tasks = spec.tasks.map((t, i) =>
        x.pin !== null && i === 0 ? { ...t, pin: { workerId: x.pin, coreIds: undefined } } : t,
      );
      return { kind: 'submit', at, spec: { ...spec, tasks } };
    }
    case 'plan':
      return planRound(s, at, { strategy: x.strategy, agingPerSecond: 0.1, maxJobs: 100, round: at });
    case 'cancel': {
      const job = [...s.jobs()].find((j) => j.name.startsWith(x.job));
      return job ? { kind: 'cancel', at, job: job.name } : undefined;
    }
    case 'report': {
      const job = [...s.jobs()].find((j) => j.name.startsWith(x.job) && j.tasks[x.task]?.workerId);
      const t = job?.tasks[x.task];
      return job && t
        ? { kind: 'reports', at, reports: [reportOf(s, job.name, t.name, x.state, at)] }
        : undefined;
    }
    case 'lost':
      return { kind: 'worker-lost', at, worker: x.worker };
    case 'join':
      return joinCmd(x.worker, x.cores, at);
    case 'drain':
      return { kind: 'worker-state', at, worker: x.worker, state: x.on ? 'draining' : 'ready' };
    case 'remove':
      return { kind: 'worker-removed', at, worker: x.worker };
  }
}

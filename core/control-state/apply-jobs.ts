import { failureCodeOfUnplaced } from '../job/failure-code.js';
import type { PlacedRef } from '../control/booking-ledger.js';
import {
  applyReports,
  claimJob,
  failJob,
  mayRetryAfterFailure,
  newJobRecord,
  placedLiveTasks,
  requestCancel,
  requeueJob,
} from '../control/job-transitions.js';
import { assignmentOf } from '../control/task-assignment.js';
import { bookingConflict } from '../control/worker-bookings.js';
import { isTerminalJobState } from '../job/job-state.js';
import { isPermanentStartFailure } from '../job/start-failure.js';
import { spreadGroupOf } from '../job/spread-group.js';
import type { Booking, ClusterEvent, JobRecord } from '../model/records.js';
import type { Report } from '../protocol/messages.js';
import type { CancelCommand, PlaceCommand, ReportsCommand, SubmitCommand } from './control-command.js';
import { noEffects, refused, type Effects } from './state-effects.js';
import type { StateWriter } from './state-writer.js';

/** Applies a job command (submit, cancel, place, reports). */
export function applyJobCommand(
  s: StateWriter,
  cmd: SubmitCommand | CancelCommand | PlaceCommand | ReportsCommand,
): Effects {
  switch (cmd.kind) {
    case 'submit':
      return submit(s, cmd);
    case 'cancel':
      return cancel(s, cmd);
    case 'place':
      return place(s, cmd);
    case 'reports':
      return reports(s, cmd);
  }
}

function submit(s: StateWriter, cmd: SubmitCommand): Effects {
  if (s.job(cmd.spec.name) || s.hasEnded(cmd.spec.name))
    return refused('JOB_EXISTS', `a job named "${cmd.spec.name}" already exists`);
  const fx = noEffects();
  s.putJob(newJobRecord(cmd.spec, cmd.at), fx);
  fx.events.push({ at: cmd.at, kind: 'job-submitted', job: cmd.spec.name });
  fx.schedule = true;
  return fx;
}

const refOf =
  (job: JobRecord) =>
  (t: { name: string; workerId: string | null }): PlacedRef => ({
    workerId: t.workerId as string,
    job: job.name,
    task: t.name,
    attempt: job.attempt,
  });

function cancel(s: StateWriter, cmd: CancelCommand): Effects {
  const job = s.job(cmd.job);
  if (!job) return refused('JOB_NOT_FOUND', `no live job is named ${cmd.job}`);
  if (isTerminalJobState(job.state))
    return refused(
      'JOB_FINISHED',
      `job ${cmd.job} has already ${job.state === 'cancelled' ? 'been cancelled' : job.state}`,
    );
  if (job.cancelRequested) return noEffects();
  const fx = noEffects();
  const next = requestCancel(job, cmd.at);
  fx.stop.push(...placedLiveTasks(next).map(refOf(next)));
  s.putJob(next, fx);
  if (next.state === 'cancelled') fx.events.push({ at: cmd.at, kind: 'job-cancelled', job: job.name });
  return fx;
}

function place(s: StateWriter, cmd: PlaceCommand): Effects {
  const fx = noEffects();
  const byJob = new Map<string, PlaceCommand['placements'][number][]>();
  for (const p of cmd.placements) {
    const list = byJob.get(p.job);
    if (list) list.push(p);
    else byJob.set(p.job, [p]);
  }
  for (const [name, placements] of byJob) {
    const why = commitJob(s, name, cmd.attempts[name], placements, cmd.at, fx);
    if (why) fx.rejected.push({ job: name, reason: why });
  }
  const fleetKnown = s.fleetKnown();
  for (const m of cmd.misses) {
    const job = s.job(m.job);
    if (!job || job.state !== 'waiting' || job.cancelRequested || job.attempt !== cmd.attempts[m.job])
      continue;
    if (m.neverFits && fleetKnown) {
      const failed = failJob(
        { ...job, unplacedReason: m.reason },
        `can never be placed: ${m.reason}`,
        cmd.at,
        failureCodeOfUnplaced(m.code),
      );
      s.putJob(failed, fx);
      fx.events.push({ at: cmd.at, kind: 'job-failed', job: job.name, detail: failed.failureReason ?? '' });
    } else if (job.unplacedReason !== m.reason) {
      s.putJob({ ...job, unplacedReason: m.reason }, fx);
      fx.events.push({ at: cmd.at, kind: 'job-unplaced', job: job.name, detail: m.reason });
    }
  }
  return fx;
}

/** Commits one job's placements whole, re-checked against the state as it is. @returns why not */
function commitJob(
  s: StateWriter,
  name: string,
  attempt: number | undefined,
  placements: readonly PlaceCommand['placements'][number][],
  at: number,
  fx: Effects,
): string | null {
  const job = s.job(name);
  if (!job) return `job ${name} is gone`;
  if (job.state !== 'waiting') return `job ${name} is ${job.state}, not waiting`;
  if (job.cancelRequested) return `job ${name} is being cancelled`;
  if (attempt !== job.attempt)
    return `the plan was for attempt ${String(attempt)}, the job is at ${job.attempt}`;
  const tasks = new Set(job.tasks.map((t) => t.name));
  const planned = new Set(placements.map((p) => p.task));
  if (
    planned.size !== placements.length ||
    planned.size !== tasks.size ||
    [...planned].some((t) => !tasks.has(t))
  )
    return `the plan does not place each of the ${tasks.size} tasks of ${name} exactly once`;
  const pending = new Map<string, Booking[]>();
  for (const p of placements) {
    const w = s.worker(p.workerId);
    if (!w) return `worker ${p.workerId} is gone`;
    const b: Booking = {
      job: name,
      task: p.task,
      attempt: job.attempt,
      coreIds: p.coreIds,
      memoryBytes: p.memoryBytes,
      bookedAt: at,
    };
    const mine = pending.get(p.workerId) ?? [];
    const conflict = bookingConflict(w, b, mine);
    if (conflict) return conflict;
    mine.push(b);
    pending.set(p.workerId, mine);
  }
  const next = claimJob(
    job,
    placements.map((p) => ({ task: p.task, workerId: p.workerId, coreIds: p.coreIds })),
    at,
  );
  s.putJob(next, fx);
  for (const t of next.tasks) fx.assign.push(assignmentOf(next, t));
  fx.placed.push(name);
  fx.events.push({ at, kind: 'job-scheduled', job: name, attempt: next.attempt });
  return null;
}

/**
 * Retry-next-node: a task of the current attempt that reports `failed` before it ever ran is a
 * failed start on its worker, counted for the job's group; one that reports `running` resets its
 * worker's count. Only reports that move the task on count, so a repeated report counts once.
 * Times are the command's (the leader's clock), never the worker's.
 */
function noteStarts(s: StateWriter, job: JobRecord, current: readonly Report[], at: number): void {
  const group = spreadGroupOf(job.spec);
  const before = new Map(job.tasks.map((t) => [t.name, t.state]));
  for (const r of [...current].sort((a, b) => a.at - b.at)) {
    const was = before.get(r.task);
    if (r.state === 'running' && (was === 'scheduled' || was === 'starting')) {
      s.startFailures.started(r.workerId, group);
      before.set(r.task, 'running');
    } else if (r.state === 'failed' && (was === 'scheduled' || was === 'starting')) {
      s.startFailures.failed(r.workerId, group, at);
      before.set(r.task, 'failed');
    } else if (r.state === 'starting' && was === 'scheduled') {
      before.set(r.task, 'starting');
    }
  }
}

function reports(s: StateWriter, cmd: ReportsCommand): Effects {
  const fx = noEffects();
  const byJob = new Map<string, Report[]>();
  for (const r of cmd.reports) {
    const list = byJob.get(r.job);
    if (list) list.push(r);
    else byJob.set(r.job, [r]);
  }
  for (const [name, list] of byJob) reportsOfJob(s, name, list, cmd.at, fx);
  return fx;
}

/**
 * Applies every report about one job: states move forward, a failure re-queues the job under its
 * restart policy or fails it (stopping the survivors). Reports of an older attempt, of an ended
 * job, or from a worker the task is no longer placed on (a migration's source) change nothing; if
 * they say the container runs, it is stopped.
 */
function reportsOfJob(s: StateWriter, name: string, list: readonly Report[], at: number, fx: Effects): void {
  const job = s.job(name);
  const placedHere = (r: Report): boolean =>
    job?.tasks.find((t) => t.name === r.task)?.workerId === r.workerId;
  const current = job ? list.filter((r) => r.attempt === job.attempt && placedHere(r)) : [];
  for (const r of list) {
    if (current.includes(r) || (r.state !== 'running' && r.state !== 'starting')) continue;
    fx.stop.push({ workerId: r.workerId, job: r.job, task: r.task, attempt: r.attempt });
  }
  if (!job || current.length === 0) return;
  noteStarts(s, job, current, at);
  const out = applyReports(
    job,
    current.map((x) => ({
      task: x.task,
      state: x.state,
      exitCode: x.exitCode,
      reason: x.reason,
      at: x.at,
      ...(x.imageDigest ? { imageDigest: x.imageDigest } : {}),
    })),
  );
  if (!out.changed) return;
  let next = out.job;
  if (out.failure && !isTerminalJobState(job.state)) {
    const reason = `task ${out.failure.task} failed: ${out.failure.reason}`;
    const code = isPermanentStartFailure(out.failure.reason) ? 'START_FAILED' : 'TASK_FAILED';
    fx.stop.push(...placedLiveTasks(out.job).map(refOf(job)));
    // A permanent start failure would repeat on every attempt: fail now (core/job/start-failure.ts).
    if (mayRetryAfterFailure(job) && !isPermanentStartFailure(out.failure.reason))
      next = requeueJob(out.job, reason, code);
    else
      next = isTerminalJobState(out.job.state)
        ? { ...out.job, failureReason: reason, failureCode: code }
        : failJob(out.job, reason, at, code);
  }
  s.putJob(next, fx);
  if (next.state !== job.state || next.attempt !== job.attempt) {
    const kind: ClusterEvent['kind'] =
      next.attempt !== job.attempt
        ? 'job-requeued'
        : next.state === 'running'
          ? 'job-running'
          : (`job-${next.state}` as ClusterEvent['kind']);
    fx.events.push({
      at,
      kind,
      job: name,
      attempt: next.attempt,
      ...(next.failureReason ? { detail: next.failureReason } : {}),
    });
  }
  if (next.state === 'waiting') fx.schedule = true;
}

import type { FailureCode } from '../job/failure-code.js';
import type { PlacedRef } from '../control/booking-ledger.js';
import { failJob, mayRequeueAfterLoss, placedLiveTasks, requeueJob } from '../control/job-transitions.js';
import { assignmentOf } from '../control/task-assignment.js';
import { moveTask, resizeBooking, resizeTask } from '../control/task-moves.js';
import { bookingConflict } from '../control/worker-bookings.js';
import { isTerminalJobState, isTerminalTaskState } from '../job/job-state.js';
import type { JobRecord, TaskRecord } from '../model/records.js';
import { joinedWorker } from '../store/worker-updates.js';
import type {
  MoveTaskCommand,
  ResizeTaskCommand,
  WorkerJoinedCommand,
  WorkerLostCommand,
  WorkerRemovedCommand,
  WorkerStateCommand,
} from './control-command.js';
import { noEffects, refused, type Effects } from './state-effects.js';
import type { StateWriter } from './state-writer.js';

type WorkerCommand =
  | WorkerJoinedCommand
  | WorkerLostCommand
  | WorkerStateCommand
  | WorkerRemovedCommand
  | MoveTaskCommand
  | ResizeTaskCommand;

/** Applies a worker command (join, loss, drain, removal) or a task move or resize. */
export function applyWorkerCommand(s: StateWriter, cmd: WorkerCommand): Effects {
  switch (cmd.kind) {
    case 'worker-joined':
      return joined(s, cmd);
    case 'worker-lost':
      return gone(s, cmd.worker, 'lost', cmd.at);
    case 'worker-removed':
      return gone(s, cmd.worker, 'left', cmd.at);
    case 'worker-state':
      return setState(s, cmd);
    case 'move-task':
      return move(s, cmd);
    case 'resize-task':
      return resize(s, cmd);
  }
}

function joined(s: StateWriter, cmd: WorkerJoinedCommand): Effects {
  const fx = noEffects();
  const before = s.worker(cmd.worker.id);
  const next = joinedWorker(before, { ...cmd.worker, now: cmd.at });
  s.putWorker(next, fx);
  fx.events.push({ at: cmd.at, kind: 'worker-joined', worker: next.id });
  fx.schedule = true;
  // A worker that came back smaller cannot hold bookings on cores or memory it no longer has.
  const own = new Set(next.coreIds);
  let memory = 0;
  const lost = new Set<string>();
  for (const b of next.bookings) {
    memory += b.memoryBytes;
    if (b.coreIds.some((c) => !own.has(c)) || memory > next.totalMemoryBytes) lost.add(b.job);
  }
  if (lost.size > 0)
    settleLost(
      s,
      next.id,
      [...lost],
      `worker ${next.id} came back without the capacity`,
      'WORKER_LOST',
      cmd.at,
      fx,
    );
  fx.outcome = { ok: true, desired: s.desiredOn(next.id) };
  return fx;
}

/** A worker is lost or removed: settle every job with a live task there. */
function gone(s: StateWriter, id: string, state: 'lost' | 'left', at: number): Effects {
  const w = s.worker(id);
  if (!w) return refused('WORKER_NOT_FOUND', `no worker "${id}"`);
  if (w.state === state || (state === 'lost' && w.state === 'left')) return noEffects();
  const fx = noEffects();
  s.putWorker({ ...w, state }, fx);
  if (state === 'left') s.startFailures.dropWorker(id);
  fx.events.push(
    state === 'lost' ? { at, kind: 'worker-lost', worker: id } : { at, kind: 'worker-removed', worker: id },
  );
  const why = state === 'lost' ? `worker ${id} was lost` : `worker ${id} was removed`;
  settleLost(s, id, s.jobsOnWorker(id), why, state === 'lost' ? 'WORKER_LOST' : 'WORKER_REMOVED', at, fx);
  return fx;
}

/**
 * Ends the attempts of `jobs` whose tasks on `workerId` are gone: re-queued under the restart
 * policy (every other task told to stop) or failed, the gone tasks marked `lost`.
 */
function settleLost(
  s: StateWriter,
  workerId: string,
  jobs: readonly string[],
  why: string,
  code: FailureCode,
  at: number,
  fx: Effects,
): void {
  for (const name of jobs) {
    const job = s.job(name);
    if (!job) continue;
    const live = placedLiveTasks(job);
    const lost = new Set(live.filter((t) => t.workerId === workerId).map((t) => t.name));
    if (lost.size === 0) continue;
    const ref = (t: TaskRecord): PlacedRef => ({
      workerId: t.workerId as string,
      job: name,
      task: t.name,
      attempt: job.attempt,
    });
    fx.stop.push(...live.filter((t) => !lost.has(t.name)).map(ref));
    for (const t of live.filter((x) => lost.has(x.name)))
      fx.events.push({
        at,
        kind: 'task-state',
        job: name,
        task: t.name,
        worker: workerId,
        attempt: job.attempt,
        detail: `lost: ${why}`,
      });
    const reason = `${why} while running ${[...lost].join(', ')}`;
    const marked: JobRecord = {
      ...job,
      tasks: job.tasks.map((t) =>
        lost.has(t.name) && !isTerminalTaskState(t.state)
          ? { ...t, state: 'lost' as const, reason: t.reason ?? reason, finishedAt: at }
          : t,
      ),
    };
    let next: JobRecord;
    if (isTerminalJobState(job.state)) next = marked;
    else if (mayRequeueAfterLoss(job)) next = requeueJob(job, reason, code);
    else next = failJob(marked, reason, at, code);
    s.putJob(next, fx);
    if (!isTerminalJobState(job.state))
      fx.events.push({
        at,
        kind: next.state === 'waiting' ? 'job-requeued' : 'job-failed',
        job: name,
        worker: workerId,
        attempt: job.attempt,
      });
    fx.schedule = true;
  }
}

function setState(s: StateWriter, cmd: WorkerStateCommand): Effects {
  const w = s.worker(cmd.worker);
  if (!w || w.state === 'left') return refused('WORKER_NOT_FOUND', `no worker "${cmd.worker}"`);
  if (w.state === cmd.state) return noEffects();
  if (w.state === 'lost') return refused('CONFLICT', `worker ${cmd.worker} is lost; it must rejoin first`);
  const fx = noEffects();
  s.putWorker({ ...w, state: cmd.state }, fx);
  fx.events.push({ at: cmd.at, kind: 'worker-state', worker: cmd.worker, detail: cmd.state });
  fx.schedule = cmd.state === 'ready';
  return fx;
}

/** The task of a live job placed on a worker, or why not. */
function placedTask(
  s: StateWriter,
  jobName: string,
  taskName: string,
): { job: JobRecord; task: TaskRecord } | Effects {
  const job = s.job(jobName);
  if (!job) return refused('JOB_NOT_FOUND', `no live job is named ${jobName}`);
  const task = job.tasks.find((t) => t.name === taskName);
  if (!task) return refused('TASK_NOT_FOUND', `job ${jobName} has no task ${taskName}`);
  if (!task.workerId || isTerminalTaskState(task.state) || task.state === 'pending' || job.cancelRequested)
    return refused(
      'TASK_NOT_RUNNING',
      `task ${jobName}/${taskName} is ${job.cancelRequested ? 'being cancelled' : task.state}`,
    );
  return { job, task };
}

function move(s: StateWriter, cmd: MoveTaskCommand): Effects {
  const found = placedTask(s, cmd.job, cmd.task);
  if ('outcome' in found) return found;
  const { job, task } = found;
  const from = task.workerId as string;
  const target = s.worker(cmd.to);
  if (!target || target.state === 'left') return refused('WORKER_NOT_FOUND', `no worker "${cmd.to}"`);
  if (cmd.to === from) return refused('CONFLICT', `task already runs on ${cmd.to}`);
  const conflict = bookingConflict(target, {
    job: job.name,
    task: task.name,
    attempt: job.attempt,
    coreIds: cmd.coreIds,
    memoryBytes: task.memoryBytes,
    bookedAt: cmd.at,
  });
  if (conflict) return refused('NO_CAPACITY', `${cmd.to} has no room: ${conflict}`);
  const fx = noEffects();
  const next = moveTask(job, task.name, cmd.to, cmd.coreIds, cmd.at);
  s.putJob(next, fx);
  fx.assign.push(assignmentOf(next, next.tasks.find((t) => t.name === task.name) as TaskRecord));
  fx.stop.push({ workerId: from, job: job.name, task: task.name, attempt: job.attempt });
  fx.events.push({
    at: cmd.at,
    kind: 'task-migrated',
    job: job.name,
    task: task.name,
    worker: cmd.to,
    attempt: job.attempt,
    detail: `from ${from}`,
  });
  return fx;
}

function resize(s: StateWriter, cmd: ResizeTaskCommand): Effects {
  const found = placedTask(s, cmd.job, cmd.task);
  if ('outcome' in found) return found;
  const { job, task } = found;
  const w = s.worker(task.workerId as string);
  if (!w) return refused('WORKER_NOT_FOUND', `no worker "${String(task.workerId)}"`);
  const out = resizeBooking(
    w,
    { job: job.name, task: task.name, attempt: job.attempt },
    { coreIds: cmd.coreIds, memoryBytes: cmd.memoryBytes },
  );
  if (!out.ok) return refused('NO_CAPACITY', out.reason);
  const fx = noEffects();
  s.putJob(resizeTask(job, task.name, out.booking.coreIds, out.booking.memoryBytes), fx);
  fx.events.push({
    at: cmd.at,
    kind: 'task-updated',
    job: job.name,
    task: task.name,
    worker: w.id,
    attempt: job.attempt,
    detail: `cpuset ${out.booking.coreIds.join(',')}, ${out.booking.memoryBytes} bytes`,
  });
  return fx;
}

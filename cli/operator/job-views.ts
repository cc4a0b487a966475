/**
 * How jobs and their events look to people: the `job ls` table, the `job status` page and one
 * line per event (`job watch`). Pure; `-o json` bypasses all of this.
 */
import type { components } from '../../openapi/schema.js';
import { formatAge, formatBytes, formatClock, renderFields, renderTable } from './table.js';

/** The API's job (schema `JobView`). */
export type JobView = components['schemas']['JobView'];
/** The API's task (schema `TaskView`). */
export type TaskView = components['schemas']['TaskView'];

/** An event of `GET /api/v1/events` (the control plane's ClusterEvent). */
export interface ClusterEventView {
  readonly id?: string;
  readonly at: number;
  readonly kind: string;
  readonly job?: string;
  readonly task?: string;
  readonly worker?: string;
  readonly attempt?: number;
  readonly detail?: string;
}

/** Job states after which nothing changes. */
export const TERMINAL_JOB_STATES: ReadonlySet<string> = new Set(['finished', 'failed', 'cancelled']);

const running = (j: JobView): number => j.tasks.filter((t) => t.state === 'running').length;

/** Why a job is where it is, in one line: the unplaced reason, else the failure reason. */
export function jobReason(j: JobView): string | undefined {
  return j.unplacedReason ?? j.failureReason ?? undefined;
}

/** The `job ls` table. */
export function jobTable(jobs: readonly JobView[], now: number, wide = false): string {
  const headers = [
    'name',
    'state',
    'tasks',
    'age',
    ...(wide ? ['priority', 'workers', 'started'] : []),
    'reason',
  ];
  const rows = jobs.map((j) => [
    j.name,
    j.state,
    `${running(j)}/${j.tasks.length}`,
    formatAge(j.submittedAt, now),
    ...(wide
      ? [
          String(j.priority ?? 0),
          [...new Set(j.tasks.map((t) => t.worker).filter((w): w is string => !!w))].join(',') || undefined,
          j.startedAt ?? undefined,
        ]
      : []),
    truncate(jobReason(j), wide ? 200 : 60),
  ]);
  return renderTable(headers, rows);
}

/** The tasks of a job: where each runs, on which cores, with how much memory, and why not. */
export function taskTable(tasks: readonly TaskView[]): string {
  return renderTable(
    ['task', 'state', 'worker', 'cpuset', 'cores', 'memory', 'attempts', 'exit', 'reason'],
    tasks.map((t) => [
      t.name,
      t.state,
      t.worker ?? undefined,
      t.cpuset ?? undefined,
      String(t.cores),
      formatBytes(t.memoryBytes),
      t.attempts === undefined ? undefined : String(t.attempts),
      t.exitCode === null || t.exitCode === undefined ? undefined : String(t.exitCode),
      t.reason ?? undefined,
    ]),
  );
}

/** The `job status` page: fields, tasks, and recent events when there are any. */
export function jobStatusText(
  j: JobView,
  events: readonly ClusterEventView[] | undefined,
  now: number,
): string {
  const parts = [
    renderFields([
      ['Name', j.name],
      ['State', j.state],
      ['Priority', String(j.priority ?? 0)],
      ['Submitted', when(j.submittedAt, now)],
      ['Scheduled', when(j.scheduledAt, now)],
      ['Started', when(j.startedAt, now)],
      ['Finished', when(j.finishedAt, now)],
      ...(j.unplacedReason ? ([['Unplaced', j.unplacedReason]] as const) : []),
      ...(j.failureReason ? ([['Failure', failureText(j)]] as const) : []),
    ]),
    '',
    'Tasks',
    indent(taskTable(j.tasks)),
  ];
  if (events === undefined) parts.push('', 'Events: (the events route is not available on this server)');
  else if (events.length === 0) parts.push('', 'Events: none recent');
  else parts.push('', 'Events', indent(eventTable(events)));
  return parts.join('\n');
}

/** Events as a table (time, kind, task, worker, detail). */
export function eventTable(events: readonly ClusterEventView[]): string {
  return renderTable(
    ['time', 'kind', 'task', 'worker', 'detail'],
    events.map((e) => [formatClock(e.at), e.kind, e.task, e.worker, e.detail]),
  );
}

/** One event as a line of `job watch`. */
export function eventLine(e: ClusterEventView): string {
  const parts = [formatClock(e.at), e.kind.padEnd(14)];
  if (e.task) parts.push(`task=${e.task}`);
  if (e.worker) parts.push(`worker=${e.worker}`);
  if (e.attempt !== undefined) parts.push(`attempt=${e.attempt}`);
  if (e.detail) parts.push(e.detail);
  return parts.join('  ').trimEnd();
}

/**
 * What changed between two looks at a job, as lines (`job watch` without the events route):
 * the job's state, then each task's state, worker and cpuset, and the unplaced reason.
 */
export function jobChanges(before: JobView | undefined, after: JobView, now: number): string[] {
  const t = formatClock(now);
  const lines: string[] = [];
  if (!before || before.state !== after.state) lines.push(`${t}  job ${after.name} ${after.state}`);
  if (after.unplacedReason && after.unplacedReason !== before?.unplacedReason)
    lines.push(`${t}  unplaced: ${after.unplacedReason}`);
  if (after.failureReason && after.failureReason !== before?.failureReason)
    lines.push(`${t}  failure: ${failureText(after)}`);
  for (const task of after.tasks) {
    const old = before?.tasks.find((x) => x.name === task.name);
    if (old && old.state === task.state && old.worker === task.worker && old.cpuset === task.cpuset) continue;
    const where = task.worker ? ` on ${task.worker}${task.cpuset ? ` cpuset ${task.cpuset}` : ''}` : '';
    lines.push(`${t}  task ${task.name} ${task.state}${where}${task.reason ? ` (${task.reason})` : ''}`);
  }
  return lines;
}

function when(iso: string | null | undefined, now: number): string | undefined {
  return iso ? `${iso} (${formatAge(iso, now)} ago)` : undefined;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

function truncate(s: string | undefined, n: number): string | undefined {
  return s && s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** A job's failure as people read it: the stable code (when recorded), then the reason. */
export function failureText(j: Pick<JobView, 'failureReason' | 'failureCode'>): string {
  return j.failureCode ? `${j.failureCode}: ${j.failureReason ?? ''}` : (j.failureReason ?? '');
}

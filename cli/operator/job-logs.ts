/**
 * `rswarm job logs NAME [TASK] [-f]`: a task's container output from `GET /api/v1/tasks/{task}/logs`.
 * A job with one task needs no TASK; for a job of several tasks without TASK every task's lines
 * are printed, each prefixed with its task name (`web | …`), as `docker compose logs` does; a
 * task without a container then is a note on stderr (exit 0 while another task printed).
 */
import type { Command } from 'commander';
import { seg, type ApiClient } from './api-client.js';
import { ApiError, CliError, EXIT } from './exit-codes.js';
import type { JobView } from './job-views.js';
import { act, clientFor, withClientOptions, type ClientFlags, type OperatorIo } from './operator-io.js';

interface LogFlags extends ClientFlags {
  readonly follow?: boolean;
  readonly tail: string;
  readonly timestamps?: boolean;
  readonly since?: string;
}

/**
 * The name the task routes take for a task of job `job`: its container name — `<job>_<task>` for a
 * native job; an original-format task is already named after its job and is its container name.
 */
export function taskRouteName(job: string, task: string): string {
  return task.startsWith(`${job}_`) ? task : `${job}_${task}`;
}

/** Which tasks' logs to print: the one named, the only one, or all of them. */
export function pickTasks(job: JobView, task: string | undefined): string[] {
  if (task === undefined) return job.tasks.map((t) => t.name);
  const hit = job.tasks.find((t) => t.name === task || taskRouteName(job.name, t.name) === task);
  if (!hit)
    throw new CliError(
      EXIT.usage,
      `job ${job.name} has no task "${task}" (tasks: ${job.tasks.map((t) => t.name).join(', ')})`,
    );
  return [hit.name];
}

/** Streams one task's log to `io`, each line prefixed with `prefix` when there is one. */
async function streamLog(
  client: ApiClient,
  io: OperatorIo,
  job: string,
  task: string,
  f: LogFlags,
  prefix?: string,
) {
  const res = await client.send('GET', `/api/v1/tasks/${seg(taskRouteName(job, task))}/logs`, {
    accept: 'text/plain',
    query: {
      tail: f.tail,
      follow: f.follow === true ? true : undefined,
      timestamps: f.timestamps === true ? true : undefined,
      since: f.since,
    },
  });
  if (!res.body) return;
  const decoder = new TextDecoder();
  let partial = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const text = decoder.decode(chunk, { stream: true });
    if (prefix === undefined) {
      io.write(text);
      continue;
    }
    // Prefixed output goes line by line so two tasks' lines never interleave mid-line.
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) io.out(`${prefix}${l}`);
  }
  const rest = partial + decoder.decode();
  if (rest !== '') {
    if (prefix === undefined) io.write(rest);
    else io.out(`${prefix}${rest}`);
  }
}

/** Adds `rswarm job logs` to the `job` command. */
export function registerJobLogs(job: Command, io: OperatorIo): void {
  withClientOptions(
    job.command('logs').description("a job's container output (all tasks, prefixed, when TASK is not given)"),
  )
    .argument('<name>', 'job name')
    .argument('[task]', 'task name (needed only to pick one of several)')
    .option('-f, --follow', 'keep printing new lines until the task ends')
    .option('--tail <n>', 'lines from the end to start with (a number or all)', '100')
    .option('--timestamps', "prefix each line with the runtime's timestamp")
    .option('--since <time>', 'only lines since this time (RFC 3339 or unix seconds)')
    .action(
      act(io, async (name: string, task: string | undefined, f: LogFlags) => {
        if (f.tail !== 'all' && !/^\d+$/.test(f.tail))
          throw new CliError(EXIT.usage, `--tail ${f.tail}: expected a whole number or all`);
        const client = clientFor(io, f);
        const job = (await client.get<JobView>(`/api/v1/jobs/${seg(name)}`)).body;
        const tasks = pickTasks(job, task);
        if (tasks.length === 1) return streamLog(client, io, name, tasks[0] as string, f);
        const width = Math.max(...tasks.map((t) => t.length));
        // Each task's stream on its own. A task without logs (never started; or ended and its
        // worker no longer keeps them, 410) is a note on stderr, as long as another task printed;
        // any other failure fails.
        const results = await Promise.allSettled(
          tasks.map((t) => streamLog(client, io, name, t, f, `${t.padEnd(width)} | `)),
        );
        const failures = results.flatMap((r, i) =>
          r.status === 'rejected' ? [[tasks[i], r.reason] as const] : [],
        );
        const noContainer = (e: unknown): boolean =>
          e instanceof ApiError && (e.status === 404 || e.status === 409 || e.status === 410);
        const hard = failures.find(([, e]) => !noContainer(e));
        if (hard) throw hard[1];
        if (failures.length === tasks.length && failures[0]) throw failures[0][1];
        for (const [t, e] of failures) io.err(`${t}: ${(e as ApiError).message}`);
      }),
    );
}

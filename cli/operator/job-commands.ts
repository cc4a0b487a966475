/**
 * `rswarm job run|ls|status|watch|stop|migrate`: jobs over the REST API (`/api/v1/jobs…`).
 * Tables for people, `-o json` prints the API's answer as it came.
 */
import type { Command } from 'commander';
import type { components } from '../../openapi/schema.js';
import { seg } from './api-client.js';
import { CliError, EXIT } from './exit-codes.js';
import { readJobFile } from './job-file.js';
import { recentJobEvents } from './job-events.js';
import { jobStatusText, jobTable, type JobView } from './job-views.js';
import { watchJob } from './job-watch.js';
import {
  act,
  clientFor,
  outputOf,
  withClientOptions,
  type ClientFlags,
  type OperatorIo,
} from './operator-io.js';
import { renderTable } from './table.js';

type JobAccepted = components['schemas']['JobAccepted'];
type JobPage = components['schemas']['JobPage'];
type MigrationResult = components['schemas']['MigrationResult'];

/** The job states `job ls --state` takes (schema `JobState`). */
export const JOB_STATES = ['waiting', 'scheduled', 'running', 'finished', 'failed', 'cancelled'] as const;

interface WatchFlags extends ClientFlags {
  readonly untilDone?: boolean;
  readonly interval: string;
}

/** A positive number of seconds from a flag, as milliseconds. */
export function secondsFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(EXIT.usage, `${flag} ${value}: expected seconds > 0`);
  return Math.round(n * 1000);
}

function watchOptions(f: WatchFlags, backlog: number) {
  return {
    untilDone: f.untilDone === true,
    intervalMs: secondsFlag(f.interval, '--interval'),
    backlog,
    now: Date.now,
  };
}

function addWatchFlags(cmd: Command): Command {
  return cmd
    .option('--until-done', 'wait until the job ends (finished, failed, cancelled), not only until it runs')
    .option('--interval <seconds>', 'poll period when the server has no events route', '1');
}

/** Adds `rswarm job …` to `program`. */
export function registerJobCommands(
  program: Command,
  io: OperatorIo,
  configure: (c: Command) => Command,
): void {
  const job = configure(program.command('job').description('submit, inspect, follow, stop and migrate jobs'));

  addWatchFlags(
    withClientOptions(
      job.command('run').description('submit a job from a JSON or YAML file (native or original format)'),
    ),
  )
    .requiredOption('-f, --file <file>', 'job document (.json, .yaml or .yml; - reads stdin)')
    .option('-w, --watch', 'then follow the job until it runs (exit 4 if it fails)')
    .action(
      act(io, async (f: WatchFlags & { file: string; watch?: boolean }) => {
        const out = outputOf(f);
        const doc = readJobFile(f.file, io.cwd, () => io.readStdin());
        const client = clientFor(io, f);
        const res = await client.json<JobAccepted>('POST', '/api/v1/jobs', { body: doc });
        if (out === 'json') io.out(res.text);
        else io.out(`job ${res.body.name} accepted (${res.body.status})`);
        if (!f.watch) return;
        return watchJob(client, io, res.body.name, watchOptions(f, 100));
      }),
    );

  withClientOptions(job.command('ls').alias('list').description('list jobs'))
    .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many jobs (default: all)')
    .action(
      act(io, async (f: ClientFlags & { state?: string; limit?: string }) => {
        const out = outputOf(f);
        if (f.state !== undefined && !(JOB_STATES as readonly string[]).includes(f.state))
          throw new CliError(EXIT.usage, `--state ${f.state}: expected one of ${JOB_STATES.join(', ')}`);
        const limit = f.limit === undefined ? Infinity : Number(f.limit);
        if (!(limit >= 1) || (limit !== Infinity && !Number.isInteger(limit)))
          throw new CliError(EXIT.usage, `--limit ${f.limit}: expected a whole number ≥ 1`);
        const client = clientFor(io, f);
        const items: JobView[] = [];
        let cursor: string | undefined;
        let text = '';
        let pages = 0;
        do {
          const page = await client.get<JobPage>('/api/v1/jobs', {
            status: f.state,
            limit: Math.min(1000, limit - items.length),
            cursor,
          });
          text = page.text;
          pages++;
          items.push(...page.body.items);
          cursor = page.body.nextCursor ?? undefined;
        } while (cursor && items.length < limit);
        // One page is printed as it came; several are joined into one page of the same shape.
        if (out === 'json')
          io.out(pages === 1 ? text : JSON.stringify({ items, nextCursor: cursor ?? null }));
        else if (items.length === 0) io.out(f.state ? `no ${f.state} jobs` : 'no jobs');
        else io.out(jobTable(items, Date.now(), out === 'wide'));
      }),
    );

  withClientOptions(
    job
      .command('status')
      .description('a job: its tasks, placements (worker, cpuset), unplaced reason and recent events'),
  )
    .argument('<name>', 'job name')
    .option('--events <n>', 'recent events to show', '10')
    .action(
      act(io, async (name: string, f: ClientFlags & { events: string }) => {
        const out = outputOf(f);
        const count = Number(f.events);
        if (!Number.isInteger(count) || count < 0 || count > 1000)
          throw new CliError(EXIT.usage, `--events ${f.events}: expected 0 to 1000`);
        const client = clientFor(io, f);
        const res = await client.get<JobView>(`/api/v1/jobs/${seg(name)}`);
        if (out === 'json') return io.out(res.text);
        const events = count === 0 ? [] : await recentJobEvents(client, name, count);
        io.out(jobStatusText(res.body, events, Date.now()));
      }),
    );

  addWatchFlags(
    withClientOptions(
      job.command('watch').description('follow a job until it runs (or ends), printing its events'),
    ),
  )
    .argument('<name>', 'job name')
    .action(
      act(io, async (name: string, f: WatchFlags) =>
        watchJob(clientFor(io, f), io, name, watchOptions(f, 20)),
      ),
    );

  withClientOptions(
    job.command('stop').description('cancel a job: its containers stop and its resources are freed'),
  )
    .argument('<name>', 'job name')
    .action(
      act(io, async (name: string, f: ClientFlags) => {
        const out = outputOf(f);
        const res = await clientFor(io, f).json<JobView>('DELETE', `/api/v1/jobs/${seg(name)}`);
        io.out(out === 'json' ? res.text : `job ${name}: cancellation accepted (state ${res.body.state})`);
      }),
    );

  withClientOptions(
    job.command('migrate').description('move every task of a job to another worker (exit 1 if any failed)'),
  )
    .argument('<name>', 'job name')
    .option('--to <worker>', 'target worker (default: the scheduler chooses)')
    .action(
      act(io, async (name: string, f: ClientFlags & { to?: string }) => {
        const out = outputOf(f);
        const res = await clientFor(io, f).json<MigrationResult[]>(
          'POST',
          `/api/v1/jobs/${seg(name)}/migrate`,
          {
            body: f.to ? { to: f.to } : {},
          },
        );
        if (out === 'json') io.out(res.text);
        else
          io.out(
            renderTable(
              ['task', 'mode', 'from', 'to', 'cpuset', 'error'],
              res.body.map((r) => [r.task, r.mode, r.from, r.to, r.cpuset, r.error ?? undefined]),
            ),
          );
        return res.body.some((r) => r.error) ? EXIT.api : EXIT.ok;
      }),
    );
}

/**
 * `rswarm node ls|status|drain|undrain|rm`: workers over the REST API (`/api/v1/workers…`).
 * `node status` shows which job's task holds each core, from the jobs' placements.
 */
import type { Command } from 'commander';
import type { components } from '../../openapi/schema.js';
import { seg, type ApiClient } from './api-client.js';
import { EXIT } from './exit-codes.js';
import type { JobView } from './job-views.js';
import {
  act,
  clientFor,
  outputOf,
  withClientOptions,
  type ClientFlags,
  type OperatorIo,
} from './operator-io.js';
import { formatAge, formatBytes, renderFields, renderTable } from './table.js';

type WorkerView = components['schemas']['WorkerView'];
type MigrationResult = components['schemas']['MigrationResult'];

/** Core ids of a cpuset string (`0-2,5` → 0, 1, 2, 5); malformed parts are skipped. */
export function parseCpuset(cpuset: string | null | undefined): number[] {
  if (!cpuset) return [];
  const ids: number[] = [];
  for (const part of cpuset.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let i = from; i <= to && i - from < 4096; i++) ids.push(i);
  }
  return ids;
}

/** The `node ls` table. */
export function nodeTable(workers: readonly WorkerView[], now: number, wide = false): string {
  return renderTable(
    [
      'id',
      'state',
      'runtime',
      'cores free',
      'memory free',
      'tasks',
      'heartbeat',
      ...(wide ? ['cpus', 'rtt'] : []),
    ],
    workers.map((w) => [
      w.id,
      w.state,
      w.runtime,
      `${w.freeCores.length}/${w.totalCores}`,
      `${formatBytes(w.freeMemoryBytes)}/${formatBytes(w.totalMemoryBytes)}`,
      String(w.tasks?.length ?? 0),
      w.lastHeartbeatAt ? `${formatAge(w.lastHeartbeatAt, now)} ago` : undefined,
      ...(wide ? [(w.coreIds ?? []).join(','), w.rtt ? `${w.rtt.ewmaMs.toFixed(1)}ms` : undefined] : []),
    ]),
  );
}

/** Which `job/task` holds each core of `w`, from the placements of the jobs it runs. */
export function coreOwners(w: WorkerView, jobs: readonly JobView[]): Map<number, string> {
  const owners = new Map<number, string>();
  for (const j of jobs)
    for (const t of j.tasks)
      if (t.worker === w.id && !['finished', 'failed', 'cancelled', 'lost'].includes(t.state))
        for (const c of parseCpuset(t.cpuset)) owners.set(c, `${j.name}/${t.name}`);
  return owners;
}

/** The `node status` page: the worker's fields, then one row per core with its holder. */
export function nodeStatusText(w: WorkerView, jobs: readonly JobView[], now: number): string {
  const owners = coreOwners(w, jobs);
  const free = new Set(w.freeCores);
  const cores = w.coreIds ?? [...new Set([...w.freeCores, ...owners.keys()])].sort((a, b) => a - b);
  return [
    renderFields([
      ['ID', w.id],
      ['State', w.state],
      ['Runtime', w.runtime],
      ['Cores', `${w.totalCores} (${w.freeCores.length} free)`],
      ['Memory', `${formatBytes(w.totalMemoryBytes)} (${formatBytes(w.freeMemoryBytes)} free)`],
      [
        'Heartbeat',
        w.lastHeartbeatAt ? `${w.lastHeartbeatAt} (${formatAge(w.lastHeartbeatAt, now)} ago)` : undefined,
      ],
      ['RTT', w.rtt ? `${w.rtt.lastMs.toFixed(1)}ms (ewma ${w.rtt.ewmaMs.toFixed(1)}ms)` : undefined],
      ['Tasks', w.tasks && w.tasks.length > 0 ? w.tasks.join(', ') : 'none'],
    ]),
    '',
    'Cores',
    renderTable(
      ['core', 'booked by'],
      cores.map((c) => [String(c), owners.get(c) ?? (free.has(c) ? 'free' : 'booked')]),
    )
      .split('\n')
      .map((l) => '  ' + l)
      .join('\n'),
  ].join('\n');
}

/** The jobs of the tasks `w` runs (a job gone meanwhile is left out). */
async function jobsOf(client: ApiClient, w: WorkerView): Promise<JobView[]> {
  const names = [...new Set((w.tasks ?? []).map((t) => t.split('/')[0] as string))];
  const jobs = await Promise.all(
    names.map((n) =>
      client.get<JobView>(`/api/v1/jobs/${seg(n)}`).then(
        (r) => r.body,
        () => undefined,
      ),
    ),
  );
  return jobs.filter((j): j is JobView => j !== undefined);
}

/** Adds `rswarm node …` to `program`. */
export function registerNodeCommands(
  program: Command,
  io: OperatorIo,
  configure: (c: Command) => Command,
): void {
  const node = configure(program.command('node').description('list, inspect, drain and remove workers'));

  withClientOptions(node.command('ls').alias('list').description('list workers')).action(
    act(io, async (f: ClientFlags) => {
      const out = outputOf(f);
      const res = await clientFor(io, f).get<WorkerView[]>('/api/v1/workers');
      if (out === 'json') io.out(res.text);
      else if (res.body.length === 0) io.out('no workers');
      else io.out(nodeTable(res.body, Date.now(), out === 'wide'));
    }),
  );

  withClientOptions(
    node.command('status').description('a worker: capacity, health, and which job holds each core'),
  )
    .argument('<id>', 'worker id')
    .action(
      act(io, async (id: string, f: ClientFlags) => {
        const out = outputOf(f);
        const client = clientFor(io, f);
        const res = await client.get<WorkerView>(`/api/v1/workers/${seg(id)}`);
        if (out === 'json') return io.out(res.text);
        io.out(nodeStatusText(res.body, await jobsOf(client, res.body), Date.now()));
      }),
    );

  withClientOptions(
    node.command('drain').description('stop placing tasks on a worker (--migrate: move its tasks away)'),
  )
    .argument('<id>', 'worker id')
    .option('--migrate', 'also move its running tasks to other workers (exit 1 if any failed)')
    .action(
      act(io, async (id: string, f: ClientFlags & { migrate?: boolean }) => {
        const out = outputOf(f);
        const res = await clientFor(io, f).json<WorkerView & { migrations?: MigrationResult[] }>(
          'POST',
          `/api/v1/workers/${seg(id)}/drain`,
          { body: f.migrate ? { migrate: true } : {} },
        );
        const failed = (res.body.migrations ?? []).filter((m) => m.error);
        if (out === 'json') io.out(res.text);
        else {
          io.out(`node ${id} ${res.body.state}`);
          for (const m of res.body.migrations ?? [])
            io.out(`  ${m.task}: ${m.error ? `not moved: ${m.error}` : `moved to ${m.to} (${m.mode})`}`);
        }
        return failed.length > 0 ? EXIT.api : EXIT.ok;
      }),
    );

  withClientOptions(node.command('undrain').description('let the scheduler place tasks on a worker again'))
    .argument('<id>', 'worker id')
    .action(
      act(io, async (id: string, f: ClientFlags) => {
        const out = outputOf(f);
        const res = await clientFor(io, f).json<WorkerView>('POST', `/api/v1/workers/${seg(id)}/undrain`);
        io.out(out === 'json' ? res.text : `node ${id} ${res.body.state}`);
      }),
    );

  withClientOptions(
    node
      .command('rm')
      .alias('remove')
      .description('remove a worker (refused while it runs tasks unless drained or --force)'),
  )
    .argument('<id>', 'worker id')
    .option('--force', 'remove it even while it runs tasks')
    .action(
      act(io, async (id: string, f: ClientFlags & { force?: boolean }) => {
        const out = outputOf(f);
        const res = await clientFor(io, f).json<WorkerView>('DELETE', `/api/v1/workers/${seg(id)}`, {
          query: { force: f.force ? true : undefined },
        });
        io.out(out === 'json' ? res.text : `node ${id} told to leave (state ${res.body.state})`);
      }),
    );
}

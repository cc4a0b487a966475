/**
 * `rswarm strategy get|set` (`/api/v1/scheduler`) and the API side of `rswarm cluster status`
 * (`/api/v1/manager`): the scheduling strategy and the control plane at a glance.
 */
import type { Command } from 'commander';
import type { components } from '../../openapi/schema.js';
import {
  act,
  clientFor,
  outputOf,
  withClientOptions,
  type ClientFlags,
  type OperatorIo,
} from './operator-io.js';
import { formatAge, renderFields, renderTable } from './table.js';

type SchedulerSettings = components['schemas']['SchedulerSettings'];
type ManagerView = components['schemas']['ManagerView'];
type ConsistencyReport = components['schemas']['ConsistencyReport'];

/** The `strategy get` text. */
export function strategyText(s: SchedulerSettings): string {
  return renderFields([
    ['Strategy', s.strategy],
    ['Available', s.available.join(', ')],
    ['Queued', s.queued === undefined ? undefined : String(s.queued)],
  ]);
}

const counts = (m: Record<string, number> | undefined): string | undefined =>
  m
    ? Object.entries(m)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    : undefined;

/** The `cluster status` text: strategy, queue, jobs and workers by state, components. */
export function clusterStatusText(
  m: ManagerView,
  consistency: ConsistencyReport | undefined,
  now: number,
): string {
  const parts = [
    renderFields([
      ['Strategy', m.strategy],
      ['Queue depth', String(m.queueDepth)],
      ['Jobs', counts(m.jobs)],
      ['Workers', counts(m.workers)],
      ['Uptime', `${Math.round(m.uptimeSeconds)}s`],
      [
        'Consistency',
        consistency ? (consistency.ok ? 'ok' : `${consistency.problems.length} problem(s)`) : undefined,
      ],
    ]),
  ];
  if (consistency && !consistency.ok) parts.push(...consistency.problems.map((p) => `  ${p}`));
  parts.push(
    '',
    'Components',
    renderTable(
      ['name', 'state', 'id', 'version', 'last seen'],
      m.components.map((c) => [
        c.name,
        c.state,
        c.id,
        c.version,
        c.lastSeenAt ? `${formatAge(c.lastSeenAt, now)} ago` : undefined,
      ]),
    )
      .split('\n')
      .map((l) => '  ' + l)
      .join('\n'),
  );
  return parts.join('\n');
}

/** The action of `rswarm cluster status` without `-f`: GET /api/v1/manager (and the consistency check). */
export function clusterStatusAction(io: OperatorIo): (f: ClientFlags) => Promise<void> {
  return act(io, async (f: ClientFlags) => {
    const out = outputOf(f);
    const client = clientFor(io, f);
    const res = await client.get<ManagerView>('/api/v1/manager');
    if (out === 'json') return io.out(res.text);
    const consistency = (await client.get<ConsistencyReport>('/api/v1/manager/consistency')).body;
    io.out(clusterStatusText(res.body, consistency, Date.now()));
  });
}

/** Adds `rswarm strategy get|set` to `program`. */
export function registerStrategyCommands(
  program: Command,
  io: OperatorIo,
  configure: (c: Command) => Command,
): void {
  const strategy = configure(program.command('strategy').description("the scheduler's placement strategy"));
  withClientOptions(
    strategy.command('get').description('the current strategy and the ones available'),
  ).action(
    act(io, async (f: ClientFlags) => {
      const out = outputOf(f);
      const res = await clientFor(io, f).get<SchedulerSettings>('/api/v1/scheduler');
      io.out(out === 'json' ? res.text : strategyText(res.body));
    }),
  );
  withClientOptions(
    strategy.command('set').description('switch the strategy at run time (queued jobs are kept)'),
  )
    .argument('<name>', 'strategy name (see strategy get)')
    .action(
      act(io, async (name: string, f: ClientFlags) => {
        const out = outputOf(f);
        const res = await clientFor(io, f).json<SchedulerSettings>('PUT', '/api/v1/scheduler', {
          body: { strategy: name },
        });
        io.out(out === 'json' ? res.text : `strategy ${res.body.strategy}`);
      }),
    );
}

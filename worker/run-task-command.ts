import { PROTOCOL_VERSION, taskRefKey, type Command, type Message } from '../core/protocol/index.js';
import type { ContainerRuntime, RuntimeCommandOutcome } from './container-runtime.js';
import { isEnded } from './report-state.js';
import type { TaskLogKeeper } from './task-log-keeper.js';
import { messageOf, refOf } from './task-refs.js';
import type { TaskTable } from './task-table.js';

/** What a task command needs of the worker agent (passed in: this never imports the agent). */
export interface TaskCommandContext {
  readonly workerId: string;
  readonly runtime: ContainerRuntime;
  readonly tasks: TaskTable;
  readonly logs: TaskLogKeeper;
}

/**
 * Runs a GlobalManager's command for one task and gives the `commandResult` that answers it.
 * `logs` reads the attempt's output (live, or what was kept of it); `update`, `checkpoint` and
 * `endpoints` run on a task this agent is running, in the task's own queue (after a pending start,
 * before a later stop). Never throws: a failure is the answer's outcome.
 */
export async function runTaskCommand(m: Command, ctx: TaskCommandContext): Promise<Message> {
  const c = m.command;
  let result: RuntimeCommandOutcome = { outcome: 'failed', reason: `unknown command ${c.kind}` };
  if (c.kind === 'logs') {
    const ref = refOf(c.task);
    const query = { after: c.after, sinceMs: c.sinceMs, tail: c.tail, maxBytes: c.maxBytes };
    result = await ctx.logs.read(ref, ctx.tasks.get(ref), query);
  } else if (c.kind === 'update' || c.kind === 'checkpoint' || c.kind === 'endpoints') {
    const entry = ctx.tasks.get(refOf(c.task));
    if (!entry || isEnded(entry.state)) {
      result = { outcome: 'unknown-task', reason: `${taskRefKey(c.task)} is not running on this worker` };
    } else {
      const run =
        c.kind === 'update'
          ? () => ctx.runtime.update(refOf(c.task), { coreIds: c.coreIds, memoryBytes: c.memoryBytes })
          : c.kind === 'checkpoint'
            ? () => ctx.runtime.checkpoint(refOf(c.task), c.checkpoint)
            : () => ctx.runtime.endpoints(refOf(c.task));
      await ctx.tasks.enqueue(
        refOf(c.task),
        async () => {
          result = await run();
        },
        (err) => (result = { outcome: 'failed', reason: messageOf(err) }),
      );
    }
  }
  return {
    type: 'commandResult',
    v: PROTOCOL_VERSION,
    id: m.id,
    workerId: ctx.workerId,
    outcome: result.outcome,
    reason: result.reason,
    ...(result.endpoints ? { endpoints: [...result.endpoints] } : {}),
    ...(result.logs ? { logs: result.logs } : {}),
  };
}

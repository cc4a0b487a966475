import { isTerminalJobState } from '../job/job-state.js';
import type { JobRecord, WorkerRecord } from '../model/records.js';
import { assertLimit, compareJobOrder, decodeJobCursor, encodeJobCursor } from '../store/job-order.js';
import type { JobStore, Page, Stores, WorkerStore } from '../store/store-ports.js';
import type { ControlLink } from './control-link.js';

function readOnly(what: string): Promise<never> {
  return Promise.reject(
    new Error(`${what}: jobs and workers are changed by the leading JobManager only (send it an intent)`),
  );
}

/** Merges two ordered lists of jobs; a name in both is taken from `first` (the live one). */
function merge(first: readonly JobRecord[], second: readonly JobRecord[]): JobRecord[] {
  const seen = new Set(first.map((j) => j.name));
  return [...first, ...second.filter((j) => !seen.has(j.name))].sort(compareJobOrder);
}

/**
 * The stores as the FrontEnd and GlobalManager read them: live jobs and every worker come from the
 * leader's state (one query, no database scan, always current), ended jobs from the history in
 * `stores`, merged in the one listing order. Writes to jobs and workers are refused: they are the
 * leader's, by intent. Settings, events, usage and components are `stores`' own.
 */
export function leaderBackedStores(stores: Stores, control: ControlLink): Stores {
  const jobs: JobStore = {
    insert: () => readOnly('jobs.insert'),
    replace: () => readOnly('jobs.replace'),
    upsertMany: () => readOnly('jobs.upsertMany'),
    insertMany: () => readOnly('jobs.insertMany'),
    deleteEndedBefore: () => readOnly('jobs.deleteEndedBefore'),
    async get(name) {
      return (await control.query({ kind: 'job', name })) ?? (await stores.jobs.get(name));
    },
    async getMany(names) {
      return (await Promise.all(names.map((n) => jobs.get(n)))).filter(
        (j): j is JobRecord => j !== undefined,
      );
    },
    async list(filter, limit, cursor): Promise<Page<JobRecord>> {
      assertLimit(limit);
      const after = cursor === undefined ? undefined : decodeJobCursor(cursor);
      // The leader also lists ended jobs whose history is not written yet, so every state asks it.
      const live = await control.query({
        kind: 'jobs',
        ...(filter.state ? { states: [filter.state] } : {}),
        limit,
        ...(after ? { after } : {}),
      });
      const history =
        filter.state === undefined || isTerminalJobState(filter.state)
          ? await stores.jobs.list(filter, limit, cursor)
          : { items: [], nextCursor: null };
      const all = merge(live, history.items);
      const items = all.slice(0, limit);
      const last = items[items.length - 1];
      const more = all.length > limit || live.length === limit || history.nextCursor !== null;
      return { items, nextCursor: more && last ? encodeJobCursor(last) : null };
    },
    async listByStates(states, limit) {
      assertLimit(limit);
      const live = await control.query({ kind: 'jobs', states, limit });
      const ended = states.filter((s) => isTerminalJobState(s));
      const history = ended.length > 0 ? await stores.jobs.listByStates(ended, limit) : [];
      return merge(live, history).slice(0, limit);
    },
    async listActiveOnWorker(workerId) {
      return control.query({ kind: 'active-on-worker', workerId });
    },
    async countByState() {
      return control.query({ kind: 'counts' });
    },
  };
  const workers: WorkerStore = {
    join: () => readOnly('workers.join'),
    heartbeat: () => readOnly('workers.heartbeat'),
    replace: () => readOnly('workers.replace'),
    upsertMany: () => readOnly('workers.upsertMany'),
    remove: () => readOnly('workers.remove'),
    async get(id): Promise<WorkerRecord | undefined> {
      return (await control.query({ kind: 'workers' })).find((w) => w.id === id);
    },
    async list() {
      return control.query({ kind: 'workers' });
    },
  };
  return {
    jobs,
    workers,
    settings: stores.settings,
    events: stores.events,
    usage: stores.usage,
    components: stores.components,
    ping: () => stores.ping(),
    close: () => Promise.resolve(),
  };
}

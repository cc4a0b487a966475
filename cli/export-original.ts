/**
 * `rswarm export original`: reads every job through the REST API (with the token, a page at a
 * time, so it works with any store) and writes the original notebooks' per-job documents to a
 * JSON-lines file and/or MongoDB; with them, each worker's utilisation over the jobs' time span as
 * the original's `WorkersResourceInfo` documents (its notebook's heatmap).
 */
import { createWriteStream } from 'node:fs';
import type { components } from '../openapi/schema.js';
import {
  inSession,
  originalResultDocument,
  type OriginalResultDocument,
} from './original-result-document.js';
import {
  workersResourceDocument,
  type OriginalWorkersResourceDocument,
} from './original-workers-resource.js';

type JobPage = components['schemas']['JobPage'];
type WorkerUsage = components['schemas']['WorkerUsage'];

/** Where the export reads from and writes to. */
export interface ExportOriginalOptions {
  /** The API, e.g. `http://127.0.0.1:5001`. */
  readonly url: string;
  readonly token: string;
  /** JSON-lines file; `-` is stdout. */
  readonly out?: string;
  readonly mongoUrl?: string;
  /** Database for `mongoUrl`. @defaultValue "RESTfulSwarmDB" (the original's) */
  readonly db?: string;
  /** One collection for every document. */
  readonly collection?: string;
  /** One collection per job, named after it: the original's layout, which its notebook scans. */
  readonly collectionPerJob?: boolean;
  /** Only jobs of this stress-client session (`job<ms>-<session>`). */
  readonly session?: string;
  /** Jobs per API page. @defaultValue 500 */
  readonly pageSize?: number;
  /** JSON-lines file for the `WorkersResourceInfo` documents (with `mongoUrl` they go there too). */
  readonly workersOut?: string;
}

/** What an export did. */
export interface ExportOriginalResult {
  readonly jobs: number;
  /** `WorkersResourceInfo` documents written. */
  readonly workers: number;
  /** Workers with samples but no known core count (removed, record gone): not written. */
  readonly skippedWorkers: readonly string[];
  readonly written: { readonly file?: string; readonly mongo?: string; readonly workersFile?: string };
}

/**
 * `GET path` on the API with the token, as JSON; undefined for a 404 (the caller says what that
 * means). Any other refusal throws naming the route and the answer.
 */
async function getJson<T>(url: string, token: string, path: string): Promise<T | undefined> {
  const res = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  if (res.status === 404) {
    await res.arrayBuffer();
    return undefined;
  }
  if (!res.ok) {
    const route = path.split('?')[0] as string;
    throw new Error(`GET ${route} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  return (await res.json()) as T;
}

/** Every job the API lists, page after page. */
export async function fetchAllJobs(url: string, token: string, pageSize = 500): Promise<JobPage['items']> {
  const items: JobPage['items'] = [];
  let cursor: string | null | undefined;
  do {
    const q = new URLSearchParams({ limit: String(pageSize), ...(cursor ? { cursor } : {}) });
    const page = await getJson<JobPage>(url, token, `/api/v1/jobs?${q.toString()}`);
    if (!page) throw new Error('GET /api/v1/jobs answered 404: is this a RESTfulSwarm API?');
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Every usage sample of one worker in `[since, until)`, page after page; undefined when unknown (404). */
async function fetchUsage(
  url: string,
  token: string,
  workerId: string,
  since: string | undefined,
  until: string | undefined,
): Promise<WorkerUsage | undefined> {
  let first: WorkerUsage | undefined;
  let from = since;
  do {
    const q = new URLSearchParams({
      limit: '10000',
      ...(from ? { since: from } : {}),
      ...(until ? { until } : {}),
    });
    const path = `/api/v1/workers/${encodeURIComponent(workerId)}/usage?${q.toString()}`;
    const page = await getJson<WorkerUsage>(url, token, path);
    if (!page) return undefined;
    if (first) first.samples.push(...page.samples);
    else first = page;
    from = page.next ?? undefined;
  } while (from);
  return first;
}

/**
 * The `WorkersResourceInfo` documents for the exported jobs: every worker listed now or named by a
 * task, over the jobs' span (first submission to last end, or now while some still run).
 */
async function workerDocuments(
  options: ExportOriginalOptions,
  views: JobPage['items'],
  docs: readonly OriginalResultDocument[],
): Promise<{ docs: OriginalWorkersResourceDocument[]; skipped: string[] }> {
  if (docs.length === 0) return { docs: [], skipped: [] };
  const listed = (await getJson<{ id: string }[]>(options.url, options.token, '/api/v1/workers')) ?? [];
  const ids = new Set(listed.map((w) => w.id));
  for (const v of views) for (const t of v.tasks) if (t.worker) ids.add(t.worker);
  const since = new Date(Math.min(...docs.map((d) => d.submit_time)) * 1000).toISOString();
  const running = docs.some((d) => d.end_time === 0);
  const until = running
    ? undefined
    : new Date(Math.max(...docs.map((d) => d.end_time)) * 1000 + 1).toISOString();
  const out: OriginalWorkersResourceDocument[] = [];
  const skipped: string[] = [];
  for (const id of [...ids].sort()) {
    const usage = await fetchUsage(options.url, options.token, id, since, until);
    if (!usage || usage.samples.length === 0) continue;
    const doc = workersResourceDocument(id, usage.totalCores, usage.samples);
    if (doc) out.push(doc);
    else skipped.push(id);
  }
  return { docs: out, skipped };
}

async function writeJsonLines(out: string, docs: readonly object[]): Promise<void> {
  const text = docs.map((d) => JSON.stringify(d) + '\n').join('');
  if (out === '-') {
    process.stdout.write(text);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createWriteStream(out);
    stream.on('error', reject);
    stream.end(text, () => resolve());
  });
}

async function writeMongo(
  options: ExportOriginalOptions,
  docs: readonly OriginalResultDocument[],
  workers: readonly OriginalWorkersResourceDocument[],
): Promise<string> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(options.mongoUrl as string, { serverSelectionTimeoutMS: 10_000 });
  const dbName = options.db ?? 'RESTfulSwarmDB';
  try {
    const db = client.db(dbName);
    // One document per worker, replaced on re-export, in the collection the original used.
    if (workers.length > 0)
      await db.collection('WorkersResourceInfo').bulkWrite(
        workers.map((w) => ({
          replaceOne: { filter: { hostname: w.hostname }, replacement: { ...w }, upsert: true },
        })),
        { ordered: false },
      );
    // Re-exports replace a job's document rather than add a second one (the notebook reads the first).
    const upsert = (d: OriginalResultDocument) => ({
      replaceOne: { filter: { job_name: d.job_name }, replacement: { ...d }, upsert: true },
    });
    if (options.collectionPerJob) {
      for (const d of docs) await db.collection(d.job_name).bulkWrite([upsert(d)]);
      return `${dbName} (one collection per job)`;
    }
    const name = options.collection as string;
    if (docs.length > 0) await db.collection(name).bulkWrite(docs.map(upsert), { ordered: false });
    return `${dbName}.${name}`;
  } finally {
    await client.close();
  }
}

/**
 * Runs the export. Needs `out` or `mongoUrl`; with `mongoUrl`, exactly one of `collection` and
 * `collectionPerJob`.
 * @throws Error naming the missing or conflicting option, or the API's refusal
 */
export async function exportOriginal(options: ExportOriginalOptions): Promise<ExportOriginalResult> {
  if (options.out === undefined && options.mongoUrl === undefined && options.workersOut === undefined)
    throw new Error(
      'say where to write: --out <file> (or - for stdout), --workers-out <file> and/or --mongo-url <url>',
    );
  if (options.mongoUrl !== undefined && !options.collection === !options.collectionPerJob)
    throw new Error('with --mongo-url, give --collection <name> or --collection-per-job (one of them)');
  if (options.mongoUrl === undefined && (options.collection || options.collectionPerJob))
    throw new Error('--collection and --collection-per-job need --mongo-url');
  const views = await fetchAllJobs(options.url, options.token, options.pageSize);
  const selected = views.filter((v) => options.session === undefined || inSession(v.name, options.session));
  const docs = selected.map(originalResultDocument);
  const workers =
    options.workersOut !== undefined || options.mongoUrl !== undefined
      ? await workerDocuments(options, selected, docs)
      : { docs: [], skipped: [] };
  const written: { file?: string; mongo?: string; workersFile?: string } = {};
  if (options.out !== undefined) {
    await writeJsonLines(options.out, docs);
    written.file = options.out;
  }
  if (options.workersOut !== undefined) {
    await writeJsonLines(options.workersOut, workers.docs);
    written.workersFile = options.workersOut;
  }
  if (options.mongoUrl !== undefined) written.mongo = await writeMongo(options, docs, workers.docs);
  return { jobs: docs.length, workers: workers.docs.length, skippedWorkers: workers.skipped, written };
}

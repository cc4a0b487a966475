/**
 * `rswarm export original`: reads every job through the REST API (with the token, a page at a
 * time, so it works with any store) and writes the original notebooks' per-job documents to a
 * JSON-lines file and/or MongoDB.
 */
import { createWriteStream } from 'node:fs';
import type { components } from '../openapi/schema.js';
import {
  inSession,
  originalResultDocument,
  type OriginalResultDocument,
} from './original-result-document.js';

type JobPage = components['schemas']['JobPage'];

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
}

/** What an export did. */
export interface ExportOriginalResult {
  readonly jobs: number;
  readonly written: { readonly file?: string; readonly mongo?: string };
}

/** Every job the API lists, page after page. */
export async function fetchAllJobs(url: string, token: string, pageSize = 500): Promise<JobPage['items']> {
  const items: JobPage['items'] = [];
  let cursor: string | null | undefined;
  do {
    const q = new URLSearchParams({ limit: String(pageSize), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${url.replace(/\/+$/, '')}/api/v1/jobs?${q.toString()}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    if (!res.ok) {
      const text = await res.text();
      throw new Error(`GET /api/v1/jobs answered ${res.status}: ${text.slice(0, 300)}`);
    }
    const page = (await res.json()) as JobPage;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function writeJsonLines(out: string, docs: readonly OriginalResultDocument[]): Promise<void> {
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
): Promise<string> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(options.mongoUrl as string, { serverSelectionTimeoutMS: 10_000 });
  const dbName = options.db ?? 'RESTfulSwarmDB';
  try {
    const db = client.db(dbName);
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
  if (options.out === undefined && options.mongoUrl === undefined)
    throw new Error('say where to write: --out <file> (or - for stdout) and/or --mongo-url <url>');
  if (options.mongoUrl !== undefined && !options.collection === !options.collectionPerJob)
    throw new Error('with --mongo-url, give --collection <name> or --collection-per-job (one of them)');
  if (options.mongoUrl === undefined && (options.collection || options.collectionPerJob))
    throw new Error('--collection and --collection-per-job need --mongo-url');
  const views = await fetchAllJobs(options.url, options.token, options.pageSize);
  const docs = views
    .filter((v) => options.session === undefined || inSession(v.name, options.session))
    .map(originalResultDocument);
  const written: { file?: string; mongo?: string } = {};
  if (options.out !== undefined) {
    await writeJsonLines(options.out, docs);
    written.file = options.out;
  }
  if (options.mongoUrl !== undefined) written.mongo = await writeMongo(options, docs);
  return { jobs: docs.length, written };
}

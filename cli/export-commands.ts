/**
 * `rswarm export …`: results in other shapes. Registration only: what a command needs (fetching,
 * the MongoDB driver) is imported inside its action, so `rswarm --help` stays light.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';

interface ExportFlags {
  url?: string;
  token?: string;
  tokenFile?: string;
  out?: string;
  mongoUrl?: string;
  db?: string;
  collection?: string;
  collectionPerJob?: boolean;
  session?: string;
  workersOut?: string;
}

/** `--token`, else RSWARM_TOKEN, else the token file (`--token-file`, default `.rswarm/token`). */
function tokenOf(flags: ExportFlags): string {
  if (flags.token) return flags.token;
  const fromEnv = process.env['RSWARM_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = resolve(flags.tokenFile ?? '.rswarm/token');
  if (!existsSync(file))
    throw new Error(
      `no --token or RSWARM_TOKEN given and ${file} does not exist (start a cluster with rswarm all-in-one)`,
    );
  return readFileSync(file, 'utf8').trim();
}

/** Registers `rswarm export original`. */
export function registerExportCommands(program: Command): void {
  const exp = program.command('export').description('write the cluster’s results in other shapes');
  exp
    .command('original')
    .description(
      'per-job documents as the original RESTfulSwarm notebooks read them (job_name, job_info.tasks, status, ' +
        'submit_time/start_time/end_time in epoch seconds), read through the REST API',
    )
    .option('--url <url>', 'the API (also RSWARM_URL)', process.env['RSWARM_URL'] ?? 'http://127.0.0.1:5001')
    .option('--token <token>', 'bearer token (also RSWARM_TOKEN, else --token-file)')
    .option('--token-file <file>', 'file holding the token', '.rswarm/token')
    .option('-o, --out <file>', 'JSON-lines file, one job a line ("-" for stdout)')
    .option('--mongo-url <url>', 'also write into this MongoDB')
    .option('--db <name>', 'database for --mongo-url', 'RESTfulSwarmDB')
    .option('--collection <name>', 'one collection for every job document')
    .option(
      '--collection-per-job',
      'one collection per job, named after it (the original layout its notebook scans)',
    )
    .option('--session <id>', 'only jobs of this stress-client session (named job<ms>-<id>)')
    .option(
      '--workers-out <file>',
      "each worker's utilisation over the jobs' span as WorkersResourceInfo documents, one a line " +
        '(with --mongo-url they are also written to its WorkersResourceInfo collection)',
    )
    .action(async (flags: ExportFlags) => {
      const { exportOriginal } = await import('./export-original.js');
      const result = await exportOriginal({
        url: flags.url as string,
        token: tokenOf(flags),
        ...(flags.out !== undefined ? { out: flags.out } : {}),
        ...(flags.mongoUrl !== undefined ? { mongoUrl: flags.mongoUrl } : {}),
        ...(flags.db !== undefined ? { db: flags.db } : {}),
        ...(flags.collection !== undefined ? { collection: flags.collection } : {}),
        ...(flags.collectionPerJob ? { collectionPerJob: true } : {}),
        ...(flags.session !== undefined ? { session: flags.session } : {}),
        ...(flags.workersOut !== undefined ? { workersOut: flags.workersOut } : {}),
      });
      const where = [result.written.file, result.written.workersFile, result.written.mongo].filter(
        (w) => w !== undefined && w !== '-',
      );
      // The counts go to stderr so `--out -` leaves stdout to the documents.
      console.error(
        `exported ${result.jobs} job(s) and ${result.workers} worker(s)` +
          `${where.length > 0 ? ` to ${where.join(' and ')}` : ''}`,
      );
      if (result.skippedWorkers.length > 0)
        console.error(
          `not exported (removed, so their core count is unknown): ${result.skippedWorkers.join(', ')}`,
        );
    });
}

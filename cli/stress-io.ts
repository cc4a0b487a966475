/**
 * What every stress command shares and that is light to load: where it writes, how it reads the
 * bearer token, the report folder's timestamp.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the stress commands write (stdout for the summary, stderr for progress and errors). */
export interface StressIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** stdout and stderr. */
export const defaultIo: StressIo = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

/** Now as `20250102T030405Z`, for report folder names. */
export function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `--token`, else RSWARM_TOKEN, else the token file (`--token-file`, default `.rswarm/token`). */
export function readToken(explicit: string | undefined, tokenFile: string | undefined): string {
  if (explicit) return explicit;
  const fromEnv = process.env['RSWARM_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = path.resolve(tokenFile ?? path.join('.rswarm', 'token'));
  if (!existsSync(file))
    throw new Error(
      `no --token or RSWARM_TOKEN given and ${file} does not exist (start a cluster with rswarm all-in-one)`,
    );
  return readFileSync(file, 'utf8').trim();
}

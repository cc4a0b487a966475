/**
 * Exit codes of the operator commands, one table so scripts can trust them, and the errors that
 * carry them. Every failure the commands know about ends as one of these; nothing else exits.
 */

/** The exit codes, as documented in `rswarm --help` and the README. */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** The API refused or failed the request; its error code and message are on stderr. */
  api: 1,
  /** Bad usage or bad input: unknown option, missing file, invalid JSON/YAML, unknown context. */
  usage: 2,
  /** The server cannot be reached, or it refused the token (401) or the address (429). */
  unreachable: 3,
  /** A watched job failed or was cancelled (`job run --watch`, `job watch`). */
  jobFailed: 4,
});

/** The help epilogue naming every exit code. */
export const EXIT_CODES_HELP = `
Exit codes of the client commands (job, node, strategy, cluster status, config):
  0  done
  1  the API refused or failed the request (its error code and message on stderr)
  2  usage or input error (unknown option, missing file, invalid JSON/YAML, unknown context)
  3  cannot reach the server, or authentication failed (401) / too many failures (429)
  4  the watched job failed or was cancelled (job run --watch, job watch)`;

/** A failure the command reports as one line on stderr, then exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The API's error body (schema `ErrorResponse`), as received. */
export interface ApiErrorBody {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly details?: readonly { code: string; pointer: string; message: string }[];
}

/** An HTTP answer with an error status; `body` is the API's error when it sent one. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
    text: string,
  ) {
    super(exitCodeForStatus(status), apiErrorMessage(status, body, text));
    this.name = 'ApiError';
  }
}

/** 401 and 429 mean "this client cannot talk to this server" (3); any other error status is 1. */
export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 429) return EXIT.unreachable;
  return status >= 400 ? EXIT.api : EXIT.ok;
}

function apiErrorMessage(status: number, body: ApiErrorBody | undefined, text: string): string {
  if (!body) return `HTTP ${status}: ${text.trim().slice(0, 300) || '(no body)'}`;
  const lines = [`${body.code} (HTTP ${status}): ${body.message}`];
  for (const d of body.details ?? []) lines.push(`  ${d.code} ${d.pointer || '(body)'}: ${d.message}`);
  if (status === 401)
    lines.push('  check the token: --token, RSWARM_TOKEN or the context (rswarm config view)');
  return lines.join('\n');
}

/** The exit code for anything a command threw: ours carry one; anything else is a bug (1). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (isConnectionError(err)) return EXIT.unreachable;
  return EXIT.api;
}

/** The line(s) printed on stderr for `err`. */
export function errorLine(err: unknown): string {
  if (err instanceof CliError) return `error: ${err.message}`;
  if (isConnectionError(err)) return `error: cannot reach the server: ${connectionCause(err)}`;
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

/** fetch's network failures: a TypeError whose cause is the socket error (ECONNREFUSED, …). */
function isConnectionError(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'fetch failed';
}

function connectionCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${cause.code} ${cause.message ?? ''}`.trim() : (cause?.message ?? String(err));
}

/**
 * What the operator commands touch outside themselves — output, the environment, the working
 * directory, the exit code — behind one small interface, so tests run the commands in process.
 * {@link processIo} is the only place that reads `process`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import {
  parseClientConfig,
  resolveTarget,
  type ClientConfigFile,
  type TargetFlags,
} from './client-config.js';
import { CliError, EXIT, errorLine, exitCodeFor } from './exit-codes.js';

/** Output, environment and exit code of one run of the commands. */
export interface OperatorIo {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes raw text to stdout (streamed logs). */
  write(text: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Reads all of stdin (`job run -f -`). */
  readStdin(): string;
  /** Records the exit code (the process exits with it once the command is done). */
  setExitCode(code: number): void;
  /** Commander's own exits (help, usage errors): never returns. */
  exit(code: number): never;
}

/** The real process: stdout, stderr, process.env, process.cwd(), process.exitCode. */
export function processIo(): OperatorIo {
  return {
    out: (line) => void process.stdout.write(line + '\n'),
    write: (text) => void process.stdout.write(text),
    err: (line) => void process.stderr.write(line + '\n'),
    env: process.env,
    cwd: process.cwd(),
    readStdin: () => readFileSync(0, 'utf8'),
    setExitCode: (code) => {
      process.exitCode = code;
    },
    exit: (code) => process.exit(code),
  };
}

/** The user's home directory: HOME (USERPROFILE on Windows), else the OS's answer. */
export function homeDirOf(env: OperatorIo['env']): string {
  return env['HOME'] || env['USERPROFILE'] || homedir();
}

/** The client config file: RSWARM_CLIENT_CONFIG, else `~/.rswarm/config.yaml`. */
export function clientConfigPath(io: OperatorIo): string {
  const p = io.env['RSWARM_CLIENT_CONFIG'];
  if (p) return resolve(io.cwd, p);
  return join(homeDirOf(io.env), '.rswarm', 'config.yaml');
}

/** The client config file, parsed; undefined when there is none. */
export function readClientConfig(io: OperatorIo): ClientConfigFile | undefined {
  const path = clientConfigPath(io);
  if (!existsSync(path)) return undefined;
  return parseClientConfig(readFileSync(path, 'utf8'), path);
}

/** An API client for the target the flags, environment and config file name. */
export function clientFor(io: OperatorIo, flags: TargetFlags): ApiClient {
  const target = resolveTarget({
    flags,
    env: io.env,
    file: () => readClientConfig(io),
    filePath: clientConfigPath(io),
    readTokenFile: (p) => {
      const abs = isAbsolute(p)
        ? p
        : resolve(io.cwd, p.startsWith('~/') ? join(homeDirOf(io.env), p.slice(2)) : p);
      return existsSync(abs) ? readFileSync(abs, 'utf8').trim() : undefined;
    },
  });
  return new ApiClient(target);
}

/** Output format of the listing commands. */
export type OutputFormat = 'table' | 'wide' | 'json';

/** The flags every client command takes. */
export interface ClientFlags extends TargetFlags {
  readonly output?: string;
}

/** Adds `--url`, `--token`, `--context` and `-o` to `cmd`. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'API base URL (also RSWARM_URL, the context; default http://127.0.0.1:5001)')
    .option('--token <token>', 'bearer token (also RSWARM_TOKEN, the context, ./.rswarm/token)')
    .option('--context <name>', 'context of the client config file (~/.rswarm/config.yaml)')
    .option('-o, --output <format>', 'table | wide | json (json: the API answer as it is)', 'table');
}

/** The output format in `flags`; anything else is a usage error. */
export function outputOf(flags: ClientFlags): OutputFormat {
  const o = flags.output ?? 'table';
  if (o === 'table' || o === 'wide' || o === 'json') return o;
  throw new CliError(EXIT.usage, `-o ${o}: expected table, wide or json`);
}

/**
 * Wraps a command's action: a thrown error becomes one message on stderr and its exit code
 * (exit-codes.ts) instead of a stack trace.
 */
export function act<A extends unknown[]>(
  io: OperatorIo,
  fn: (...args: A) => Promise<number | void> | number | void,
) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (code) io.setExitCode(code);
    } catch (err) {
      io.err(errorLine(err));
      io.setExitCode(exitCodeFor(err));
    }
  };
}

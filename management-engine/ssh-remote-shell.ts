/**
 * The remote {@link ProcessHost}: one SSH connection (the `ssh2` library, key authentication,
 * host key checked against known_hosts by default) running small POSIX shell scripts. Scripts
 * go over the channel's stdin to `sh -s`, so secrets in the environment never appear in a
 * command line on the remote host.
 */
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import shellQuote from 'shell-quote';
import { Client } from 'ssh2';
import { parseKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import {
  PROC_START_TIME_SH,
  type ProcessHost,
  type ProcessRef,
  type StartSpec,
  type StopOutcome,
} from './process-host.js';

/** Where and how to connect. */
export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly identityFile: string;
  /** known_hosts file; required when `strictHostKeyChecking` is true. */
  readonly knownHosts: string;
  readonly strictHostKeyChecking: boolean;
  /** Handshake and authentication timeout. @defaultValue 15000 */
  readonly readyTimeoutMs?: number;
}

/** Result of one remote script. */
interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const q = (s: string): string => shellQuote.quote([s]);

/** `alive` shell function: true while $pid runs with start time $want and is no zombie. */
const ALIVE_FN = `alive() {
  s=$(sed 's/^.*) //' /proc/$pid/stat 2>/dev/null) || return 1
  [ "$(echo "$s" | cut -d' ' -f20)" = "$want" ] || return 1
  case "$s" in Z*|X*) return 1;; esac
  return 0
}`;

/** The script that starts `spec` detached and prints "<pid> <starttime>". Pure; exported for tests. */
export function startScript(spec: StartSpec): string {
  const exports = Object.entries(spec.env).map(([k, v]) => `export ${k}=${q(v)}`);
  return [
    `cd ${q(spec.cwd)} 2>/dev/null || { echo ${q(`cannot cd to ${spec.cwd}`)} >&2; exit 97; }`,
    `mkdir -p ${q(posix.dirname(spec.logFile))} || exit 98`,
    ...exports,
    // A backgrounded simple command: $! is the PID nohup execs the program in.
    `nohup ${shellQuote.quote([...spec.argv])} >>${q(spec.logFile)} 2>&1 </dev/null &`,
    'pid=$!',
    `st=$(${PROC_START_TIME_SH('$pid')})`,
    'echo "$pid $st"',
  ].join('\n');
}

/** The script that stops `ref` (TERM, wait, KILL) only if the PID still is ours. Pure. */
export function stopScript(ref: ProcessRef, graceMs: number): string {
  return [
    `pid=${ref.pid}; want=${q(ref.startTime)}`,
    ALIVE_FN,
    'alive || { echo gone; exit 0; }',
    'kill -TERM "$pid" 2>/dev/null',
    `i=0; n=${Math.ceil(graceMs / 100)}`,
    'while [ "$i" -lt "$n" ]; do alive || { echo stopped; exit 0; }; sleep 0.1; i=$((i+1)); done',
    'alive || { echo stopped; exit 0; }',
    'kill -KILL "$pid" 2>/dev/null',
    'j=0; while [ "$j" -lt 50 ] && alive; do sleep 0.1; j=$((j+1)); done',
    'echo killed',
  ].join('\n');
}

/**
 * Connects to `target` and returns a {@link ProcessHost} on it.
 * @throws Error naming the host when the key cannot be read, the host key is refused
 *   (unknown, changed or revoked) or authentication fails
 */
export async function connectSsh(target: SshTarget): Promise<ProcessHost> {
  const label = `${target.user}@${target.host}:${target.port}`;
  let privateKey: Buffer;
  try {
    privateKey = await readFile(target.identityFile);
  } catch (err) {
    throw new Error(`${label}: cannot read identityFile ${target.identityFile}: ${(err as Error).message}`);
  }
  let knownText = '';
  if (target.strictHostKeyChecking) {
    try {
      knownText = await readFile(target.knownHosts, 'utf8');
    } catch (err) {
      throw new Error(
        `${label}: cannot read knownHosts ${target.knownHosts} (${(err as Error).message}); ` +
          'strictHostKeyChecking is on, so the host key cannot be checked',
      );
    }
  }
  const entries = parseKnownHosts(knownText);
  let verdict: HostKeyVerdict | undefined;
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', (err) => {
      client.end();
      if (verdict && !verdict.ok) reject(new Error(`${label}: ${verdict.message}`));
      else reject(new Error(`${label}: SSH connection failed: ${err.message}`));
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: target.readyTimeoutMs ?? 15_000,
      hostVerifier: (key: Buffer): boolean => {
        if (!target.strictHostKeyChecking) return true;
        verdict = verifyHostKey(entries, target.host, target.port, key, target.knownHosts);
        return verdict.ok;
      },
    });
  });

  // After the handshake a dropped connection must fail the commands in flight, not crash the
  // process with an unhandled 'error' event.
  let lost: string | undefined;
  const pending = new Set<(err: Error) => void>();
  client.on('error', (err) => (lost = err.message));
  client.on('close', () => {
    lost ??= 'connection closed';
    for (const fail of pending) fail(new Error(`${label}: SSH ${lost}`));
    pending.clear();
  });

  const exec = (script: string): Promise<ExecResult> =>
    new Promise((resolve, reject) => {
      if (lost !== undefined) {
        reject(new Error(`${label}: SSH ${lost}`));
        return;
      }
      pending.add(reject);
      const settle = (r: ExecResult): void => {
        pending.delete(reject);
        resolve(r);
      };
      client.exec('sh -s', (err, stream) => {
        if (err) {
          pending.delete(reject);
          reject(new Error(`${label}: cannot run a command: ${err.message}`));
          return;
        }
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        stream.once('close', (code: number | null) => settle({ code: code ?? -1, stdout, stderr }));
        stream.end(script + '\n');
      });
    });

  let closed = false;
  return {
    label,
    async start(spec: StartSpec): Promise<ProcessRef> {
      const r = await exec(startScript(spec));
      const m = /^(\d+) (\d+)\s*$/m.exec(r.stdout);
      if (r.code !== 0 || !m) {
        throw new Error(
          `${label}: cannot start ${spec.name} (exit ${r.code}): ${(r.stderr || r.stdout).trim() || 'no output'}`,
        );
      }
      return { pid: Number(m[1]), startTime: m[2] as string };
    },
    async isRunning(ref: ProcessRef): Promise<boolean> {
      const r = await exec(
        `pid=${ref.pid}; want=${q(ref.startTime)}\n${ALIVE_FN}\nalive && echo running || echo gone`,
      );
      if (r.code !== 0) throw new Error(`${label}: cannot check pid ${ref.pid}: ${r.stderr.trim()}`);
      return r.stdout.trim() === 'running';
    },
    async stop(ref: ProcessRef, graceMs: number): Promise<StopOutcome> {
      const r = await exec(stopScript(ref, graceMs));
      const out = r.stdout.trim();
      if (out === 'gone' || out === 'stopped' || out === 'killed') return out;
      throw new Error(`${label}: cannot stop pid ${ref.pid} (exit ${r.code}): ${r.stderr.trim()}`);
    },
    async tail(file: string, lines: number): Promise<string> {
      const r = await exec(`tail -n ${lines} ${q(file)} 2>/dev/null || true`);
      return r.stdout.trimEnd();
    },
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        client.end();
      }
      return Promise.resolve();
    },
  };
}

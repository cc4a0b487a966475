/**
 * The local {@link ProcessHost}: spawns detached children whose output goes to log files, and
 * identifies them through /proc (Linux).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock/clock.js';
import {
  parseProcStat,
  type ProcessHost,
  type ProcessRef,
  type StartSpec,
  type StopOutcome,
} from './process-host.js';

async function procStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when `pid` runs with start time `ref.startTime` and is not a zombie. */
async function running(ref: ProcessRef): Promise<boolean> {
  const st = await procStat(ref.pid);
  return st !== undefined && st.startTime === ref.startTime && st.state !== 'Z' && st.state !== 'X';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Creates the local launcher. `baseEnv` is the environment children inherit (the CLI passes its
 * own; this module never reads the process environment).
 */
export function createLocalProcessLauncher(deps: {
  readonly clock: Clock;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}): ProcessHost {
  const { clock } = deps;
  return {
    label: 'local',
    async start(spec: StartSpec): Promise<ProcessRef> {
      mkdirSync(dirname(spec.logFile), { recursive: true });
      const fd = openSync(spec.logFile, 'a', 0o600);
      try {
        const [program, ...args] = spec.argv;
        if (!program) throw new Error(`${spec.name}: empty command`);
        const child = spawn(program, args, {
          cwd: spec.cwd,
          env: { ...deps.baseEnv, ...spec.env },
          detached: true,
          stdio: ['ignore', fd, fd],
        });
        const pid = await new Promise<number>((resolve, reject) => {
          child.once('spawn', () => resolve(child.pid ?? -1));
          child.once('error', (err) =>
            reject(new Error(`${spec.name}: cannot start ${program}: ${err.message}`)),
          );
        });
        // Detached and unreferenced: it outlives `cluster up`; Node still reaps it if it dies first.
        child.unref();
        const st = await procStat(pid);
        if (!st) throw new Error(`${spec.name}: exited at once (pid ${pid}); see ${spec.logFile}`);
        return { pid, startTime: st.startTime };
      } finally {
        closeSync(fd);
      }
    },
    isRunning: running,
    async stop(ref: ProcessRef, graceMs: number): Promise<StopOutcome> {
      if (!(await running(ref))) return 'gone';
      signal(ref.pid, 'SIGTERM');
      const deadline = clock.now() + graceMs;
      while (clock.now() < deadline) {
        await clock.sleep(100);
        if (!(await running(ref))) return 'stopped';
      }
      // Checked again right before the SIGKILL: the PID must still be ours.
      if (!(await running(ref))) return 'stopped';
      signal(ref.pid, 'SIGKILL');
      for (let i = 0; i < 50 && (await running(ref)); i++) await clock.sleep(100);
      return 'killed';
    },
    async tail(file: string, lines: number): Promise<string> {
      try {
        const text = await readFile(file, 'utf8');
        return text
          .split('\n')
          .slice(-lines - 1)
          .join('\n')
          .trimEnd();
      } catch {
        return '';
      }
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Runs `argv` in the foreground with inherited stdio (a stress run) and resolves with its exit
 * code (128 + signal number style codes are reported as 1).
 */
export function runForeground(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<number> {
  const [program, ...args] = argv;
  if (!program) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env: { ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

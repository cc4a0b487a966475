/**
 * The port through which the management engine starts, checks and stops processes on one
 * machine: the local machine (a process launcher) or a remote one (a shell over SSH). Both
 * identify a process by PID *and* start time, so a PID the kernel has recycled for some other
 * program is never mistaken for ours, and never signalled.
 */

/** What to start: one program with its arguments, run detached with output to a log file. */
export interface StartSpec {
  /** Name for messages ("global-manager", "worker w1"). */
  readonly name: string;
  /** argv: the program and its arguments (no shell). */
  readonly argv: readonly string[];
  /** Working directory. */
  readonly cwd: string;
  /** Variables added to the environment (secrets go here, never in argv). */
  readonly env: Readonly<Record<string, string>>;
  /** File that receives stdout and stderr (appended). */
  readonly logFile: string;
}

/** A started process: PID plus the kernel's start time (field 22 of /proc/<pid>/stat). */
export interface ProcessRef {
  readonly pid: number;
  readonly startTime: string;
}

/** How {@link ProcessHost.stop} ended. */
export type StopOutcome =
  /** Exited after SIGTERM within the grace period. */
  | 'stopped'
  /** Still running after the grace period: SIGKILLed. */
  | 'killed'
  /** Already gone, or the PID now belongs to another process (left alone). */
  | 'gone';

/** Starts, checks and stops processes on one machine. */
export interface ProcessHost {
  /** Where this host is, for messages ("local", "root@10.0.0.5:22"). */
  readonly label: string;
  /** Starts `spec` detached (it outlives the caller) and returns its identity. */
  start(spec: StartSpec): Promise<ProcessRef>;
  /** True while the process with this PID and start time runs (a zombie counts as gone). */
  isRunning(ref: ProcessRef): Promise<boolean>;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL; only if the PID still is `ref`. */
  stop(ref: ProcessRef, graceMs: number): Promise<StopOutcome>;
  /** The last `lines` lines of a file on this host ('' when unreadable). */
  tail(file: string, lines: number): Promise<string>;
  /** Releases the connection, if any. Idempotent. */
  close(): Promise<void>;
}

/** Opens a {@link ProcessHost} for a remote machine (an SSH connection, or a fake). */
export type RemoteShellFactory<W> = (target: W) => Promise<ProcessHost>;

/**
 * The POSIX shell snippets both adapters rely on. The start time is field 22 of
 * /proc/<pid>/stat; fields are counted after the last ")" because the command name (field 2)
 * may contain spaces.
 */
export const PROC_START_TIME_SH = (pidVar: string): string =>
  `sed 's/^.*) //' /proc/${pidVar}/stat 2>/dev/null | cut -d' ' -f20`;

/** Parses /proc/<pid>/stat text into its state letter and start time. */
export function parseProcStat(text: string): { state: string; startTime: string } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

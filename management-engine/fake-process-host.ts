/**
 * An in-memory {@link ProcessHost} for tests: a process table where "started" processes and
 * unrelated ones live side by side, PIDs can be recycled, and every signal is recorded.
 */
import type { ProcessHost, ProcessRef, StartSpec, StopOutcome } from './process-host.js';

/** One process in the fake table. */
export interface FakeProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  alive: boolean;
  /** When true, SIGTERM is ignored (only SIGKILL ends it). */
  ignoresTerm: boolean;
}

/** A fake machine's process table. */
export class FakeProcessHost implements ProcessHost {
  readonly processes = new Map<number, FakeProcess>();
  /** Every signal sent, as "SIGTERM 12". */
  readonly signals: string[] = [];
  readonly started: StartSpec[] = [];
  readonly logs = new Map<string, string>();
  private nextPid = 1000;
  private tick = 1;
  closed = 0;
  /** Called after each start: lets a test make the process die or misbehave. */
  onStart: (p: FakeProcess, spec: StartSpec) => void = () => undefined;

  constructor(readonly label = 'fake') {}

  /** Adds a process the engine did not start (it must survive `down`). */
  spawnUnrelated(argv: readonly string[], pid?: number): FakeProcess {
    const p: FakeProcess = {
      pid: pid ?? this.nextPid++,
      startTime: String(this.tick++),
      argv,
      env: {},
      alive: true,
      ignoresTerm: false,
    };
    this.processes.set(p.pid, p);
    return p;
  }

  /** Ends `pid` and starts an unrelated process with the same PID (a recycled PID). */
  recycle(pid: number): FakeProcess {
    return this.spawnUnrelated(['unrelated', 'recycled'], pid);
  }

  start(spec: StartSpec): Promise<ProcessRef> {
    const p: FakeProcess = {
      pid: this.nextPid++,
      startTime: String(this.tick++),
      argv: spec.argv,
      env: spec.env,
      alive: true,
      ignoresTerm: false,
    };
    this.processes.set(p.pid, p);
    this.started.push(spec);
    this.onStart(p, spec);
    return Promise.resolve({ pid: p.pid, startTime: p.startTime });
  }

  private current(ref: ProcessRef): FakeProcess | undefined {
    const p = this.processes.get(ref.pid);
    return p && p.alive && p.startTime === ref.startTime ? p : undefined;
  }

  isRunning(ref: ProcessRef): Promise<boolean> {
    return Promise.resolve(this.current(ref) !== undefined);
  }

  stop(ref: ProcessRef, _graceMs: number): Promise<StopOutcome> {
    const p = this.current(ref);
    if (!p) return Promise.resolve('gone');
    this.signals.push(`SIGTERM ${p.pid}`);
    if (!p.ignoresTerm) {
      p.alive = false;
      return Promise.resolve('stopped');
    }
    this.signals.push(`SIGKILL ${p.pid}`);
    p.alive = false;
    return Promise.resolve('killed');
  }

  tail(file: string, lines: number): Promise<string> {
    return Promise.resolve((this.logs.get(file) ?? '').split('\n').slice(-lines).join('\n'));
  }

  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

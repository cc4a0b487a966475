/**
 * The management engine: `up` starts the control plane locally in dependency order with health
 * checks, then each worker over SSH, and waits for it to join; `status` reports what runs;
 * `down` stops exactly what `up` recorded. Side effects go through the {@link ProcessHost},
 * {@link ControlPlaneProbe} and clock ports.
 *
 * Lifecycle: create → (up | status | down, one at a time) → close. States: `ready` (idle),
 * `busy` (an operation runs; a second one is refused), `closed` (every SSH connection released;
 * nothing more may run). Processes started by `up` outlive the engine on purpose.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../core/clock/clock.js';
import { KEY_FILES, workerClusterId } from '../core/security/index.js';
import { planBringUp, sshTargetOf, type BringUpPlan, type HealthCheck } from './bring-up-plan.js';
import type { ClusterSpec } from './cluster-file.js';
import { readClusterState, stateFilePath, type ClusterState, type ProcessRecord } from './cluster-state.js';
import type { ControlPlaneProbe } from './control-plane-probe.js';
import type { ProcessHost, RemoteShellFactory } from './process-host.js';
import { checkRecorded, stopRecorded, type ProcessStatus, type StopReport } from './recorded-processes.js';
import type { SshTarget } from './ssh-remote-shell.js';
import { StateJournal } from './state-journal.js';

/**
 * What a remote worker must know of the control plane it joins, read from the control plane's
 * keys directory once it runs: its public key (a remote host has no copy of `control-plane.pub`)
 * and the cluster id (without it the worker would label nothing and could not tell its
 * containers from another cluster's on a shared engine). Empty when the control plane wrote
 * neither (a plaintext link): the worker then falls back to its own configuration.
 */
function controlPlaneIdentity(keysDir: string): Record<string, string> {
  let publicKey = '';
  try {
    publicKey = readFileSync(join(keysDir, KEY_FILES.controlPlanePublic), 'utf8').trim();
  } catch {
    publicKey = '';
  }
  const clusterId = workerClusterId(keysDir, '');
  return {
    ...(publicKey ? { RSWARM_CONTROL_PLANE_PUBLIC_KEY: publicKey } : {}),
    ...(clusterId ? { RSWARM_CLUSTER_ID: clusterId } : {}),
  };
}

/** Ports and local facts the engine needs. */
export interface ClusterEngineDeps {
  readonly local: ProcessHost;
  readonly connect: RemoteShellFactory<SshTarget>;
  readonly probe: ControlPlaneProbe;
  readonly clock: Clock;
  /** Progress lines for the operator. */
  readonly out: (line: string) => void;
  /** Runs `rswarm stress …` in the foreground in `cwd`; resolves with its exit code. */
  readonly runForeground: (argv: readonly string[], cwd: string) => Promise<number>;
  /** argv prefix that runs `rswarm` locally. */
  readonly rswarmCommand: readonly string[];
  readonly cwd: string;
  readonly defaultKnownHosts: string;
  /** A new random secret (tokens). */
  readonly secret: () => string;
}

/** What `up` did. */
export interface UpResult {
  readonly apiUrl: string;
  readonly tokenFile: string;
  readonly processes: readonly ProcessRecord[];
  /** Exit code of the stress run, when one ran. */
  readonly stressExitCode?: number;
}

/** What `status` found. */
export interface StatusReport {
  readonly state: ClusterState | undefined;
  readonly processes: readonly ProcessStatus[];
  readonly workersByState?: Readonly<Record<string, number>>;
  readonly queueDepth?: number;
  readonly apiError?: string;
}

const POLL_MS = 200;

/** Thrown when a step of `up` fails; everything started so far has been stopped. */
export class BringUpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BringUpError';
  }
}

/** Brings one cluster file's cluster up, reports on it and tears it down (see the module doc). */
export class ClusterEngine {
  private state: 'ready' | 'busy' | 'closed' = 'ready';
  private readonly stateFile: string;
  private readonly tokenFile: string;

  private constructor(
    private readonly spec: ClusterSpec,
    private readonly deps: ClusterEngineDeps,
  ) {
    this.stateFile = stateFilePath(spec.logDir);
    this.tokenFile = join(spec.logDir, 'token');
  }

  /** Creates an engine for one cluster file; starts nothing. */
  static create(spec: ClusterSpec, deps: ClusterEngineDeps): ClusterEngine {
    return new ClusterEngine(spec, deps);
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.state !== 'ready') throw new Error(`the cluster engine is ${this.state}`);
    this.state = 'busy';
    try {
      return await fn();
    } finally {
      if (this.state === 'busy') this.state = 'ready';
    }
  }

  /**
   * Brings the cluster up. Refuses when a recorded process still runs. On any failure stops what
   * it started, removes the state file and throws a {@link BringUpError} with the log tail.
   */
  up(options: { readonly stress?: boolean } = {}): Promise<UpResult> {
    return this.exclusive(async () => {
      const { spec, deps } = this;
      if (options.stress && !spec.stress)
        throw new BringUpError(`--stress needs a "stress:" section with args in ${spec.source}`);
      const previous = readClusterState(this.stateFile);
      if (previous) {
        const alive = (await checkRecorded(previous, this.deps.local, this.deps.connect)).filter(
          (p) => p.running !== false,
        );
        if (alive.length > 0)
          throw new BringUpError(
            `cluster "${previous.cluster}" is already up: ${alive.length} of ${previous.processes.length} recorded process(es) still run (${this.stateFile}); run \`rswarm cluster down\` first`,
          );
      }
      await this.preflight();
      mkdirSync(spec.logDir, { recursive: true, mode: 0o700 });
      const token = spec.controlPlane.token ?? deps.secret();
      writeFileSync(this.tokenFile, token + '\n', { mode: 0o600 });
      const rswarm = spec.controlPlane.command ?? deps.rswarmCommand;
      const plan = planBringUp(spec, {
        token,
        joinToken: spec.controlPlane.joinToken ?? deps.secret(),
        rswarmCommand: rswarm,
        cwd: deps.cwd,
        defaultKnownHosts: deps.defaultKnownHosts,
      });
      writeFileSync(plan.configFile, stringify(plan.config), { mode: 0o600 });
      const journal = StateJournal.begin(this.stateFile, {
        cluster: spec.name,
        clusterFile: spec.source,
        apiUrl: plan.apiUrl,
        tokenFile: this.tokenFile,
        startedAt: new Date(deps.clock.now()).toISOString(),
      });
      try {
        await this.startControlPlane(plan, journal);
        await this.startWorkers(plan, journal, token);
      } catch (err) {
        deps.out(`bring-up failed; stopping the ${journal.records.length} process(es) started`);
        const report = await stopRecorded(journal.snapshot(), this.stopDeps());
        journal.finish(report.remaining);
        throw err instanceof BringUpError ? err : new BringUpError((err as Error).message);
      }
      deps.out(`cluster "${spec.name}" is up: API ${plan.apiUrl}/api/v1, token in ${this.tokenFile}`);
      let stressExitCode: number | undefined;
      const stress = spec.stress;
      if (stress && (options.stress || stress.enabled)) {
        stressExitCode = await this.runStress(stress.args, rswarm, plan.apiUrl, token);
        deps.out(`stress: exit code ${stressExitCode}`);
      }
      return {
        apiUrl: plan.apiUrl,
        tokenFile: this.tokenFile,
        processes: journal.records,
        ...(stressExitCode !== undefined ? { stressExitCode } : {}),
      };
    });
  }

  /**
   * Before anything starts: every worker host must accept the connection (host key, key auth),
   * so a bad known_hosts entry or key costs nothing to undo.
   */
  private async preflight(): Promise<void> {
    for (const w of this.spec.workers) {
      try {
        await (await this.deps.connect(sshTargetOf(w, this.deps.defaultKnownHosts))).close();
      } catch (err) {
        throw new BringUpError(`worker ${w.workerId}: ${(err as Error).message}; nothing was started`);
      }
    }
  }

  /**
   * Runs `rswarm stress <args> --url <api>` in `<logDir>/stress`, where `.rswarm/token` (0600)
   * holds the token: the stress client reads it from there, so the secret is in no argv.
   */
  private async runStress(
    args: readonly string[],
    rswarm: readonly string[],
    apiUrl: string,
    token: string,
  ): Promise<number> {
    const cwd = join(this.spec.logDir, 'stress');
    mkdirSync(join(cwd, '.rswarm'), { recursive: true, mode: 0o700 });
    writeFileSync(join(cwd, '.rswarm', 'token'), token + '\n', { mode: 0o600 });
    const argv = [...args, ...(args.includes('--url') ? [] : ['--url', apiUrl])];
    this.deps.out(`stress: rswarm stress ${argv.join(' ')} (in ${cwd})`);
    return this.deps.runForeground([...rswarm, 'stress', ...argv], cwd);
  }

  private async failWith(host: ProcessHost, what: string, logFile: string): Promise<never> {
    const tail = await host.tail(logFile, 20);
    throw new BringUpError(`${what}; last lines of ${logFile}:\n${tail || '(empty)'}`);
  }

  private async startControlPlane(plan: BringUpPlan, journal: StateJournal): Promise<void> {
    const { deps, spec } = this;
    for (const step of plan.components) {
      deps.out(`starting ${step.name}`);
      const ref = await deps.local.start(step.start);
      journal.add({ kind: 'local', name: step.name, ...ref, logFile: step.start.logFile });
      const deadline = deps.clock.now() + spec.controlPlane.startTimeoutMs;
      for (const check of step.checks) {
        for (;;) {
          if (!(await deps.local.isRunning(ref)))
            await this.failWith(
              deps.local,
              `${step.name} (pid ${ref.pid}) exited during start-up`,
              step.start.logFile,
            );
          if (await this.passes(check)) break;
          if (deps.clock.now() > deadline)
            await this.failWith(
              deps.local,
              `${step.name} (pid ${ref.pid}) failed its health check ${describe(check)} within ${spec.controlPlane.startTimeoutMs} ms`,
              step.start.logFile,
            );
          await deps.clock.sleep(POLL_MS);
        }
      }
      deps.out(`${step.name} healthy (pid ${ref.pid}; ${step.checks.map(describe).join(', ')})`);
    }
  }

  private async passes(check: HealthCheck): Promise<boolean> {
    if (check.kind === 'tcp') return this.deps.probe.portOpen(check.host, check.port);
    return (await this.deps.probe.health(check.url)) === 200;
  }

  private async startWorkers(plan: BringUpPlan, journal: StateJournal, token: string): Promise<void> {
    const { deps, spec } = this;
    const identity = controlPlaneIdentity(plan.keysDir);
    for (const w of plan.workers) {
      deps.out(`starting worker ${w.workerId} on ${w.target.user}@${w.target.host}:${w.target.port}`);
      const host = await deps.connect(w.target);
      try {
        const ref = await host.start({ ...w.start, env: { ...w.start.env, ...identity } });
        journal.add({
          kind: 'remote',
          name: w.start.name,
          workerId: w.workerId,
          target: w.target,
          ...ref,
          logFile: w.start.logFile,
        });
        const deadline = deps.clock.now() + spec.joinTimeoutMs;
        for (;;) {
          if (!(await host.isRunning(ref)))
            await this.failWith(
              host,
              `worker ${w.workerId} (remote pid ${ref.pid}) exited before joining`,
              w.start.logFile,
            );
          const seen = await deps.probe.workers(plan.apiUrl, token).catch(() => []);
          if (seen.some((x) => x.id === w.workerId && x.state === 'ready')) break;
          if (deps.clock.now() > deadline)
            await this.failWith(
              host,
              `worker ${w.workerId} (remote pid ${ref.pid}) did not join within ${spec.joinTimeoutMs} ms (${seen.length} worker(s) known to the API)`,
              w.start.logFile,
            );
          await deps.clock.sleep(POLL_MS * 2);
        }
        deps.out(`worker ${w.workerId} joined (remote pid ${ref.pid})`);
      } finally {
        await host.close();
      }
    }
  }

  private stopDeps(): Parameters<typeof stopRecorded>[1] {
    return {
      local: this.deps.local,
      connect: this.deps.connect,
      graceMs: this.spec.stopGraceMs,
      out: this.deps.out,
    };
  }

  /** Each recorded process (alive or not) and the API's view of workers and the queue. */
  status(): Promise<StatusReport> {
    return this.exclusive(async () => {
      const state = readClusterState(this.stateFile);
      if (!state) return { state, processes: [] };
      const processes = await checkRecorded(state, this.deps.local, this.deps.connect);
      try {
        const token = readFileSync(state.tokenFile, 'utf8').trim();
        const m = await this.deps.probe.manager(state.apiUrl, token);
        return { state, processes, workersByState: m.workers, queueDepth: m.queueDepth };
      } catch (err) {
        return { state, processes, apiError: (err as Error).message };
      }
    });
  }

  /** Stops every recorded process (workers first) and removes the state file. Idempotent. */
  down(): Promise<StopReport> {
    return this.exclusive(async () => {
      const state = readClusterState(this.stateFile);
      if (!state) {
        this.deps.out(`nothing to stop: no state file at ${this.stateFile}`);
        return { stopped: [], remaining: [], errors: [] };
      }
      const journal = StateJournal.resume(this.stateFile, state);
      const report = await stopRecorded(state, this.stopDeps());
      journal.finish(report.remaining);
      return report;
    });
  }

  /** Ends the engine; later calls are refused. Idempotent. */
  close(): Promise<void> {
    this.state = 'closed';
    return Promise.resolve();
  }
}

function describe(check: HealthCheck): string {
  return check.kind === 'tcp' ? `tcp ${check.host}:${check.port}` : `GET ${check.url}/healthz = 200`;
}

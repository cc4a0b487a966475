/**
 * The pure bring-up planner: from a cluster spec and its secrets, which processes to start, in
 * which order, with which configuration, and how to tell that each is healthy. No I/O here.
 */
import { join, posix } from 'node:path';
import type { ConfigInput } from '../core/config/index.js';
import { ENV_BINDINGS } from '../core/config/index.js';
import type { ClusterSpec, WorkerSpec } from './cluster-file.js';
import type { StartSpec } from './process-host.js';
import type { SshTarget } from './ssh-remote-shell.js';

/** How the engine decides that a started component is up. */
export type HealthCheck =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'http'; readonly url: string };

/** One local control-plane process. */
export interface ComponentStep {
  readonly name: string;
  /** Names of steps that must be healthy before this one starts. */
  readonly dependsOn: readonly string[];
  readonly start: StartSpec;
  /** All must pass, in order. */
  readonly checks: readonly HealthCheck[];
}

/** One worker started over SSH. */
export interface WorkerStep {
  readonly workerId: string;
  readonly target: SshTarget;
  readonly start: StartSpec;
}

/** Everything `cluster up` does, in order. */
export interface BringUpPlan {
  /** Written (0600) to {@link configFile}: the configuration every local component reads. */
  readonly config: ConfigInput;
  readonly configFile: string;
  /** The control plane, in dependency order. */
  readonly components: readonly ComponentStep[];
  /** Workers, started after every component is healthy. */
  readonly workers: readonly WorkerStep[];
  /** FrontEnd URL as seen from this machine. */
  readonly apiUrl: string;
  /**
   * The control plane's keys directory (`cluster.keysDir`, set explicitly so the engine knows it):
   * once the control plane runs, its `control-plane.pub` and `cluster-id` are handed to the workers.
   */
  readonly keysDir: string;
}

/** Secrets and local facts the plan needs but does not invent. */
export interface PlanInputs {
  readonly token: string;
  readonly joinToken: string;
  /** Local argv prefix that runs `rswarm` (e.g. node /repo/dist/cli/main.js). */
  readonly rswarmCommand: readonly string[];
  /** Local working directory of the components. */
  readonly cwd: string;
  /** Default known_hosts file (~/.ssh/known_hosts). */
  readonly defaultKnownHosts: string;
}

/**
 * Orders steps so each comes after everything it depends on; among ready steps the input order
 * is kept (stable).
 * @throws Error naming the unknown dependency or the steps in a cycle
 */
export function orderByDependencies<T extends { name: string; dependsOn: readonly string[] }>(
  steps: readonly T[],
): T[] {
  const names = new Set(steps.map((s) => s.name));
  for (const s of steps)
    for (const d of s.dependsOn)
      if (!names.has(d)) throw new Error(`step "${s.name}" depends on "${d}", which is not in the plan`);
  const done = new Set<string>();
  const out: T[] = [];
  const left = [...steps];
  while (left.length > 0) {
    const i = left.findIndex((s) => s.dependsOn.every((d) => done.has(d)));
    if (i < 0)
      throw new Error(
        `dependency cycle among ${left.length} step(s): ${left.map((s) => `${s.name} → ${s.dependsOn.join('+')}`).join(', ')}`,
      );
    const [s] = left.splice(i, 1) as [T];
    done.add(s.name);
    out.push(s);
  }
  return out;
}

/** The environment a child should inherit: `base` without variables that would override its config. */
export function childEnvironment(
  base: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out = { ...base };
  for (const k of [...Object.keys(ENV_BINDINGS), 'RSWARM_CONFIG']) delete out[k];
  return out;
}

/** Address this machine uses to reach a component bound to `bindHost`. */
function localAddress(bindHost: string): string {
  return bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost === '::' ? '::1' : bindHost;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The worker's environment: where the control plane is and which token to present. */
function workerEnv(spec: ClusterSpec, w: WorkerSpec, joinToken: string): Record<string, string> {
  const cp = spec.controlPlane;
  const adv = urlHost(cp.advertiseHost ?? cp.bindHost);
  return {
    ...w.env,
    RSWARM_JOIN_TOKEN: joinToken,
    RSWARM_MANAGER_ENDPOINT: `tcp://${adv}:${cp.ports.globalManager}`,
    RSWARM_ENROL_ENDPOINT: `tcp://${adv}:${cp.ports.enrolment}`,
    RSWARM_DISCOVERY_ENDPOINT: `tcp://${adv}:${cp.ports.discovery}`,
    RSWARM_WORKER_ID: w.workerId,
    RSWARM_WORKER_RUNTIME: w.runtime,
    RSWARM_LOG_LEVEL: cp.logLevel,
    ...(w.cpuset ? { RSWARM_WORKER_CPUSET: w.cpuset } : {}),
    ...(w.memory ? { RSWARM_WORKER_MEMORY: w.memory } : {}),
  };
}

/** How to reach a worker's host over SSH. */
export function sshTargetOf(w: WorkerSpec, defaultKnownHosts: string): SshTarget {
  return {
    host: w.host,
    port: w.port,
    user: w.user,
    identityFile: w.identityFile,
    knownHosts: w.knownHosts ?? defaultKnownHosts,
    strictHostKeyChecking: w.strictHostKeyChecking,
  };
}

/** Plans `cluster up` for `spec`. Pure. */
export function planBringUp(spec: ClusterSpec, inputs: PlanInputs): BringUpPlan {
  const cp = spec.controlPlane;
  const bind = urlHost(cp.bindHost);
  const local = localAddress(cp.bindHost);
  const apiUrl = `http://${urlHost(local)}:${cp.ports.frontend}`;
  const embedded = cp.backends.mode === 'embedded';
  const keysDir = join(inputs.cwd, '.rswarm', 'keys');
  const config: ConfigInput = {
    logLevel: cp.logLevel,
    http: { host: cp.bindHost, port: cp.ports.frontend, token: inputs.token },
    scheduler: { strategy: cp.strategy },
    backends:
      cp.backends.mode === 'external'
        ? {
            store: 'mongo',
            queue: 'redis',
            mongoUrl: cp.backends.mongoUrl,
            redisUrl: cp.backends.redisUrl,
            queueName: cp.backends.queueName,
          }
        : { store: 'memory', queue: 'memory' },
    cluster: {
      managerEndpoint: `tcp://${bind}:${cp.ports.globalManager}`,
      enrolEndpoint: `tcp://${bind}:${cp.ports.enrolment}`,
      discoveryEndpoint: `tcp://${bind}:${cp.ports.discovery}`,
      jobManagerEndpoint: `tcp://${bind}:${cp.ports.jobManager}`,
      joinToken: inputs.joinToken,
      keysDir,
    },
    ...(embedded ? { allInOne: { workers: 0 } } : {}),
  };
  const configFile = join(spec.logDir, 'control-plane.yaml');
  const tcp = (port: number): HealthCheck => ({ kind: 'tcp', host: local, port });
  const http: HealthCheck = { kind: 'http', url: apiUrl };
  const step = (
    name: string,
    command: string,
    dependsOn: string[],
    checks: HealthCheck[],
  ): ComponentStep => ({
    name,
    dependsOn,
    checks,
    start: {
      name,
      argv: [...inputs.rswarmCommand, '-c', configFile, command],
      cwd: inputs.cwd,
      env: {},
      logFile: join(spec.logDir, `${spec.name}-${name}.log`),
    },
  });
  const p = cp.ports;
  // GlobalManager first (workers and the JM's dispatches go to it), then Discovery (task
  // reports), then the JobManager (it dispatches to both), and the FrontEnd last so no job is
  // accepted before something can schedule it.
  const components = embedded
    ? [
        step(
          'control-plane',
          'all-in-one',
          [],
          [tcp(p.globalManager), tcp(p.discovery), tcp(p.jobManager), http],
        ),
      ]
    : orderByDependencies([
        step('frontend', 'frontend', ['job-manager'], [http]),
        step('job-manager', 'job-manager', ['global-manager', 'discovery'], [tcp(p.jobManager)]),
        step('discovery', 'discovery', ['global-manager'], [tcp(p.discovery)]),
        step('global-manager', 'global-manager', [], [tcp(p.globalManager)]),
      ]);
  const workers = spec.workers.map((w): WorkerStep => ({
    workerId: w.workerId,
    target: sshTargetOf(w, inputs.defaultKnownHosts),
    start: {
      name: `worker ${w.workerId}`,
      argv: w.command,
      cwd: w.cwd,
      env: workerEnv(spec, w, inputs.joinToken),
      logFile: posix.join(w.logDir, `${spec.name}-worker-${w.workerId}.log`),
    },
  }));
  return { config, configFile, components, workers, apiUrl, keysDir };
}

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config, type ConfigInput } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';

/** Thrown when the configuration is invalid; the message names every bad field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** How an environment variable's text is read: `list` splits on commas and spaces. */
export type EnvironmentValueKind = 'string' | 'number' | 'boolean' | 'list';

/**
 * Environment variables read by {@link loadConfig} and the field each sets. This table is the
 * only place the process environment maps onto configuration.
 */
export const ENV_BINDINGS: Readonly<Record<string, { path: readonly string[]; kind: EnvironmentValueKind }>> =
  {
    RSWARM_LOG_LEVEL: { path: ['logLevel'], kind: 'string' },
    RSWARM_LOG_FORMAT: { path: ['logFormat'], kind: 'string' },
    RSWARM_HOST: { path: ['http', 'host'], kind: 'string' },
    RSWARM_PORT: { path: ['http', 'port'], kind: 'number' },
    RSWARM_TOKEN: { path: ['http', 'token'], kind: 'string' },
    RSWARM_GATEWAY_HOST: { path: ['gateway', 'host'], kind: 'string' },
    RSWARM_GATEWAY_PORT: { path: ['gateway', 'port'], kind: 'number' },
    RSWARM_METRICS_HOST: { path: ['metrics', 'host'], kind: 'string' },
    RSWARM_METRICS_PORT: { path: ['metrics', 'port'], kind: 'number' },
    RSWARM_STRATEGY: { path: ['scheduler', 'strategy'], kind: 'string' },
    RSWARM_NEVER_FITS_SETTLE: { path: ['scheduler', 'neverFitsSettleMs'], kind: 'string' },
    RSWARM_NEVER_FITS: { path: ['scheduler', 'neverFits'], kind: 'string' },
    RSWARM_STORE: { path: ['backends', 'store'], kind: 'string' },
    RSWARM_QUEUE: { path: ['backends', 'queue'], kind: 'string' },
    MONGO_URL: { path: ['backends', 'mongoUrl'], kind: 'string' },
    REDIS_URL: { path: ['backends', 'redisUrl'], kind: 'string' },
    RSWARM_QUEUE_NAME: { path: ['backends', 'queueName'], kind: 'string' },
    DOCKER_HOST: { path: ['backends', 'dockerHost'], kind: 'string' },
    RSWARM_JOIN_TOKEN: { path: ['cluster', 'joinToken'], kind: 'string' },
    RSWARM_MANAGER_ENDPOINT: { path: ['cluster', 'managerEndpoint'], kind: 'string' },
    RSWARM_KEYS_DIR: { path: ['cluster', 'keysDir'], kind: 'string' },
    RSWARM_CLUSTER_ID: { path: ['cluster', 'id'], kind: 'string' },
    RSWARM_CONTROL_PLANE_PUBLIC_KEY: { path: ['cluster', 'controlPlanePublicKey'], kind: 'string' },
    RSWARM_ENROL_ENDPOINT: { path: ['cluster', 'enrolEndpoint'], kind: 'string' },
    RSWARM_DISCOVERY_ENDPOINT: { path: ['cluster', 'discoveryEndpoint'], kind: 'string' },
    RSWARM_WORKER_ID: { path: ['worker', 'id'], kind: 'string' },
    RSWARM_WORKER_RUNTIME: { path: ['worker', 'runtime'], kind: 'string' },
    RSWARM_WORKER_CPUSET: { path: ['worker', 'cpuset'], kind: 'string' },
    RSWARM_WORKER_MEMORY: { path: ['worker', 'memory'], kind: 'string' },
    RSWARM_WORKER_KEPT_LOG_LINES: { path: ['worker', 'keptLogLines'], kind: 'number' },
    RSWARM_WORKER_KEPT_LOG_TASKS: { path: ['worker', 'keptLogTasks'], kind: 'number' },
    RSWARM_WORKER_KEPT_LOG_BYTES: { path: ['worker', 'keptLogBytes'], kind: 'number' },
    RSWARM_WORKER_KEPT_LOG_DIR: { path: ['worker', 'keptLogDir'], kind: 'string' },
    RSWARM_WORKERS: { path: ['allInOne', 'workers'], kind: 'number' },
    RSWARM_RUNTIME: { path: ['allInOne', 'runtime'], kind: 'string' },
    RSWARM_JOB_MANAGER_ENDPOINT: { path: ['cluster', 'jobManagerEndpoint'], kind: 'string' },
    RSWARM_STATE: { path: ['backends', 'state'], kind: 'string' },
    RSWARM_STATE_DIR: { path: ['backends', 'stateDir'], kind: 'string' },
    RSWARM_ELECTION: { path: ['cluster', 'election'], kind: 'string' },
    RSWARM_JOB_MANAGER_ID: { path: ['cluster', 'jobManagerId'], kind: 'string' },
    RSWARM_VALOR: { path: ['cluster', 'valor'], kind: 'number' },
    RSWARM_COMPAT_ANONYMOUS: { path: ['compat', 'allowAnonymous'], kind: 'boolean' },
    RSWARM_COMPAT_NETWORKS: { path: ['compat', 'anonymousNetworks'], kind: 'list' },
  };

/** Sources merged by {@link loadConfig}, lowest precedence first: defaults < file < env < flags. */
export interface ConfigSources {
  /** Path of a JSON or YAML config file (also `RSWARM_CONFIG`). */
  readonly file?: string;
  /** Environment to read; pass `{}` in tests to ignore the real one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags or code, highest precedence. */
  readonly overrides?: ConfigInput;
}

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isTree(prev) && isTree(v) ? merge(prev, v) : v;
  }
  return out;
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isTree(next) ? next : (node[key] = {});
  }
  node[path[path.length - 1] as string] = value;
}

/** Words a boolean environment variable may hold. */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  '1': true,
  true: true,
  yes: true,
  on: true,
  '0': false,
  false: false,
  no: false,
  off: false,
};

function fromEnv(env: Readonly<Record<string, string | undefined>>): Tree {
  const out: Tree = {};
  for (const [name, binding] of Object.entries(ENV_BINDINGS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (binding.kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new ConfigError(`${name}="${raw}" is not a number`);
      setPath(out, binding.path, n);
    } else if (binding.kind === 'boolean') {
      const v = BOOLEAN_WORDS[raw.trim().toLowerCase()];
      if (v === undefined) throw new ConfigError(`${name}="${raw}" is not a boolean (1/0, true/false)`);
      setPath(out, binding.path, v);
    } else if (binding.kind === 'list') {
      // Comma- or space-separated, e.g. "10.0.0.0/8, 192.168.1.0/24".
      setPath(
        out,
        binding.path,
        raw.split(/[\s,]+/).filter((s) => s !== ''),
      );
    } else {
      setPath(out, binding.path, raw);
    }
  }
  return out;
}

function fromFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed == null) return {};
  if (!isTree(parsed)) throw new ConfigError(`config file ${file} must hold an object`);
  return parsed;
}

/**
 * Merges defaults, an optional file, the environment and overrides; validates once; freezes.
 * @throws ConfigError naming each invalid field
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const file = sources.file ?? env['RSWARM_CONFIG'];
  let raw: Tree = {};
  if (file) raw = merge(raw, fromFile(file));
  raw = merge(raw, fromEnv(env));
  if (sources.overrides) raw = merge(raw, sources.overrides);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return deepFreeze(result.data);
}

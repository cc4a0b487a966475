import { stdSerializers } from 'pino';

/** What a secret value is replaced with wherever it would leave the process (API, logs). */
export const REDACTED = '***';

/**
 * Keys whose value is a task environment: `env` (native format, records, assignments) and
 * `environment` (original format).
 */
const ENV_KEYS = new Set(['env', 'environment']);

/** Deeper structures are cut: a log line never needs them and a walk must stay bounded. */
const MAX_DEPTH = 12;

/**
 * An environment with its names kept and its values replaced: `{ A: '***' }` for a map,
 * `['A=***']` for the original format's `NAME=value` list, `'***'` for anything else.
 */
export function redactEnv(env: unknown): unknown {
  if (Array.isArray(env))
    return env.map((e) =>
      typeof e === 'string' && e.indexOf('=') > 0 ? `${e.slice(0, e.indexOf('='))}=${REDACTED}` : REDACTED,
    );
  if (env !== null && typeof env === 'object')
    return Object.fromEntries(Object.keys(env).map((k) => [k, REDACTED]));
  return env === undefined || env === null ? env : REDACTED;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[…]';
  // Errors carry what failed with them: a database write error holds the document (a job record
  // with its spec), so they are serialized here and walked like any other object.
  const error = value instanceof Error;
  if (!error && !Array.isArray(value) && !isPlainObject(value)) return value; // Date, Buffer, Map…
  seen.add(value);
  const source: object = error ? stdSerializers.err(value) : value;
  const out: unknown = Array.isArray(source)
    ? source.map((v) => walk(v, depth + 1, seen))
    : Object.fromEntries(
        Object.entries(source).map(([k, v]) => [
          k,
          ENV_KEYS.has(k) ? redactEnv(v) : walk(v, depth + 1, seen),
        ]),
      );
  seen.delete(value);
  return out;
}

/**
 * A copy of `value` in which every task environment (any `env` or `environment` key, at any
 * depth, errors included) shows its names and hides its values. Used by the logger on every log
 * line, so job specs, assignments and errors that carry them never write a secret.
 */
export function redactSecrets<T>(value: T): T {
  return walk(value, 0, new WeakSet()) as T;
}

import type { FieldIssue } from '../errors/index.js';

/**
 * Network names a job may never ask for: the engine's own networks. Joining `host` would share
 * the host's network stack, `bridge` the default network of every other container on the engine,
 * `none` silently runs the tasks without one. Networks of other jobs cannot be known here (they
 * live on the engines); workers refuse those when the task starts.
 */
export const RESERVED_NETWORK_NAMES: ReadonlySet<string> = new Set(['host', 'bridge', 'none', 'default']);

/** Reports a job network name that is reserved (see {@link RESERVED_NETWORK_NAMES}). */
export function checkNetworkName(name: string | undefined, pointer: string, issues: FieldIssue[]): void {
  if (name === undefined) return;
  if (RESERVED_NETWORK_NAMES.has(name) || name.startsWith('container:')) {
    issues.push({
      code: 'NETWORK_INVALID',
      pointer,
      message: `network "${name}" is reserved by the engine; a job runs on a network of its own (leave the name out or choose another)`,
    });
  }
}

import { mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, posix, relative } from 'node:path';
import type { TaskAssignment } from '../../core/protocol/index.js';
import { TaskStartError } from './docker-errors.js';

type VolumeMount = TaskAssignment['volumes'][number];

/** The file-system calls volume resolution needs; the real ones by default, fakes in tests. */
export interface VolumeFs {
  realpath(path: string): Promise<string>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
}

const nodeFs: VolumeFs = { realpath, mkdir };

/** True when `path` is `prefix` or lies under it, on a path-segment boundary (both absolute). */
export function isWithin(path: string, prefix: string): boolean {
  const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(p === '/' ? '/' : p + '/');
}

/**
 * Why a host path as written may not be mounted at all, before it is resolved: it must be
 * absolute and have no `..` segment (dots inside a name, `v1.2` or `a..b`, are fine).
 * @returns the reason, or undefined when the path is acceptable as written
 */
export function hostPathProblem(hostPath: string): string | undefined {
  if (!isAbsolute(hostPath)) return 'the host path must be absolute';
  if (hostPath.split('/').includes('..')) return 'the host path may not contain a ".." segment';
  return undefined;
}

/**
 * Why a resolved host path may not be mounted: it must lie within one of the allowed prefixes.
 * `requested` is the path as the job wrote it, `real` what it resolves to on this host, `allowed`
 * the allow-list resolved on this host and `listed` the allow-list as configured (for the reason).
 * @returns the reason, or undefined when it may be mounted
 */
export function realPathProblem(
  requested: string,
  real: string,
  allowed: readonly string[],
  listed: readonly string[] = allowed,
): string | undefined {
  if (listed.length === 0) return 'this worker allows no host volumes (its volumeAllowList is empty)';
  if (allowed.some((prefix) => isWithin(real, prefix))) return undefined;
  const where = real === posix.normalize(requested) ? 'it is' : `it resolves to ${real}, which is`;
  return `${where} outside this worker's allowed paths (${listed.join(', ')})`;
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

/** The real path of `path`; when it does not exist yet, that of its nearest existing ancestor plus the rest. */
async function resolveLoose(path: string, fs: VolumeFs): Promise<{ real: string; exists: boolean }> {
  let ancestor = path;
  for (;;) {
    try {
      const real = await fs.realpath(ancestor);
      const rest = relative(ancestor, path);
      return { real: rest === '' ? real : posix.join(real, rest), exists: ancestor === path };
    } catch (err) {
      if (!isMissing(err) || ancestor === '/') throw err;
      ancestor = dirname(ancestor);
    }
  }
}

/**
 * Resolves every volume's host path on this host (symlinks included) and checks it against the
 * worker's allow-list, right before the container is created. The container then binds the
 * resolved path, never the path as written, so a link planted under an allowed directory (by an
 * earlier job's container, or any local user) cannot send the mount elsewhere. A missing path is
 * created, after its nearest existing ancestor was checked, as Docker would have done (as root,
 * following links) had it been given the path.
 *
 * Allow-list entries are resolved too (an operator may list `/tmp/x` where `/tmp` is a link);
 * entries that do not exist allow nothing.
 * @returns the volumes with their host paths resolved
 * @throws TaskStartError naming the volume and why it is refused
 */
export async function resolveVolumes(
  volumes: readonly VolumeMount[],
  allowList: readonly string[],
  fs: VolumeFs = nodeFs,
): Promise<VolumeMount[]> {
  if (volumes.length === 0) return [];
  const allowed: string[] = [];
  for (const prefix of allowList) {
    try {
      allowed.push(await fs.realpath(prefix));
    } catch {
      // A missing allowed directory allows nothing until it exists.
    }
  }
  const refuse = (v: VolumeMount, why: string, cause?: unknown): TaskStartError =>
    new TaskStartError(`volume ${v.hostPath}:${v.containerPath} refused: ${why}`, { cause, refusal: true });
  const out: VolumeMount[] = [];
  for (const v of volumes) {
    const written = hostPathProblem(v.hostPath);
    if (written) throw refuse(v, written);
    let resolved: { real: string; exists: boolean };
    try {
      resolved = await resolveLoose(v.hostPath, fs);
    } catch (err) {
      throw refuse(v, `its host path cannot be resolved: ${(err as Error).message}`, err);
    }
    const problem = realPathProblem(v.hostPath, resolved.real, allowed, allowList);
    if (problem) throw refuse(v, problem);
    let real = resolved.real;
    if (!resolved.exists) {
      try {
        await fs.mkdir(real, { recursive: true });
        real = await fs.realpath(real);
      } catch (err) {
        throw refuse(v, `its host path could not be created: ${(err as Error).message}`, err);
      }
      // Re-checked: a link may have appeared between the check and the mkdir.
      const after = realPathProblem(v.hostPath, real, allowed, allowList);
      if (after) throw refuse(v, after);
    }
    out.push({ hostPath: real, containerPath: v.containerPath, readOnly: v.readOnly });
  }
  return out;
}

import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The cluster id file in `cluster.keysDir`, next to `control-plane.pub`: created by the control
 * plane at its first start, read by workers (docs/design/security.md, "Cluster identity").
 */
export const CLUSTER_ID_FILE = 'cluster-id';

/** What a cluster id may look like: it is a Docker label value and part of engine object names. */
export const CLUSTER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Random bytes of a generated id: 12 hex characters, unique enough for clusters sharing an engine. */
const GENERATED_ID_BYTES = 6;

function readClusterIdFile(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, CLUSTER_ID_FILE), 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function checked(id: string, from: string): string {
  if (!CLUSTER_ID_PATTERN.test(id))
    throw new Error(`the cluster id "${id}" (${from}) must be 1–63 letters, digits, ".", "_" or "-"`);
  return id;
}

/**
 * The control plane's cluster id: `configured` (`cluster.id`) when set, else the one kept in
 * `<keysDir>/cluster-id`, generated (`c` + 12 hex characters) and written once when missing.
 * Processes starting together on one directory agree on the first one written (`link`).
 */
export function controlPlaneClusterId(keysDir: string, configured: string): string {
  if (configured) return checked(configured, 'cluster.id');
  const dir = resolve(keysDir);
  const kept = readClusterIdFile(dir);
  if (kept) return checked(kept, join(dir, CLUSTER_ID_FILE));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = `c${randomBytes(GENERATED_ID_BYTES).toString('hex')}`;
  const tmp = join(dir, `${CLUSTER_ID_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, id + '\n', { mode: 0o644 });
  try {
    linkSync(tmp, join(dir, CLUSTER_ID_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return checked(readClusterIdFile(dir) ?? id, join(dir, CLUSTER_ID_FILE));
}

/**
 * A worker's cluster id: `configured` (`cluster.id`), else `<keysDir>/cluster-id` (the control
 * plane's file on a shared host, or a copy), else "" — a worker without one touches only
 * containers and networks that carry no cluster label.
 */
export function workerClusterId(keysDir: string, configured: string): string {
  if (configured) return checked(configured, 'cluster.id');
  const dir = resolve(keysDir);
  const kept = readClusterIdFile(dir);
  return kept ? checked(kept, join(dir, CLUSTER_ID_FILE)) : '';
}

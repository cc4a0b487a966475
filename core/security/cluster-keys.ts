import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { controlPlaneClusterId } from './cluster-id.js';
import { loadOrCreateKeyPair, loadOrCreateSecret, readSecretFile } from './key-files.js';
import { Keyring } from './keyring.js';
import type { ClientLinkSecurity, ServerLinkSecurity } from './link-security.js';
import { isCurveKey } from './z85.js';

/**
 * Where a cluster's link keys live, in one directory (`cluster.keysDir`, default `.rswarm/keys`):
 *
 * - `control-plane.key`: the control plane's key pair (0600). Every control-plane host needs the
 *   same file: it is the GlobalManager's and Discovery's server key and the JobManager's and
 *   FrontEnd's client key.
 * - `control-plane.pub`: its public half, the one file a worker host needs (or
 *   `cluster.controlPlanePublicKey`).
 * - `join-token`: the enrolment secret when `cluster.joinToken` is not set (0600).
 * - `keyring.json`: enrolled worker keys and revoked keys (0600), written by the GlobalManager.
 * - `cluster-id`: the cluster id (0644) when `cluster.id` is not set, generated with the keys;
 *   workers read it like `control-plane.pub` (cluster-id.ts).
 * - `worker-<id>.key`: a worker's key pair (0600), on the worker's host.
 */
export const KEY_FILES = {
  controlPlane: 'control-plane.key',
  controlPlanePublic: 'control-plane.pub',
  joinToken: 'join-token',
  keyring: 'keyring.json',
  worker: (workerId: string): string => `worker-${workerId}.key`,
} as const;

/** The control plane's side of the link: server security, its client keys and the join token. */
export interface ControlPlaneKeys {
  readonly server: ServerLinkSecurity;
  readonly client: ClientLinkSecurity;
  /** `cluster.joinToken`, else the token file's (generated when missing). Never logged. */
  readonly joinToken: string;
  readonly keysDir: string;
}

const opened = new Map<string, ControlPlaneKeys>();

/**
 * The control plane's keys from `keysDir`, generated when missing; one keyring per directory and
 * process, so a GlobalManager and a Discovery in one process share it.
 */
export function controlPlaneKeys(keysDir: string, configuredJoinToken: string): ControlPlaneKeys {
  const dir = resolve(keysDir);
  const known = opened.get(dir);
  if (known && (configuredJoinToken === '' || known.joinToken === configuredJoinToken)) return known;
  const keyPair = loadOrCreateKeyPair(join(dir, KEY_FILES.controlPlane));
  // Kept with the keys so that a worker host given this directory's public files knows its cluster.
  controlPlaneClusterId(dir, '');
  const publicFile = join(dir, KEY_FILES.controlPlanePublic);
  let published: string | undefined;
  try {
    published = readFileSync(publicFile, 'utf8').trim();
  } catch {
    published = undefined;
  }
  if (published !== keyPair.publicKey) writeFileSync(publicFile, keyPair.publicKey + '\n', { mode: 0o644 });
  const keys: ControlPlaneKeys = {
    server: {
      keyPair,
      controlPublicKeys: [keyPair.publicKey],
      keyring: known?.server.keyring ?? Keyring.open(join(dir, KEY_FILES.keyring)),
    },
    client: { keyPair, serverPublicKey: keyPair.publicKey },
    joinToken: configuredJoinToken || loadOrCreateSecret(join(dir, KEY_FILES.joinToken)),
    keysDir: dir,
  };
  opened.set(dir, keys);
  return keys;
}

/**
 * A worker's side of the link: its key pair from `keysDir` (generated when missing) and the
 * control plane's public key (`configuredServerKey`, else `control-plane.pub` in `keysDir`).
 * @throws Error saying which file to copy when the control plane's public key is unknown
 */
export function workerLinkKeys(
  keysDir: string,
  workerId: string,
  configuredServerKey: string,
): ClientLinkSecurity {
  const dir = resolve(keysDir);
  let serverPublicKey = configuredServerKey;
  if (!serverPublicKey) {
    try {
      serverPublicKey = readFileSync(join(dir, KEY_FILES.controlPlanePublic), 'utf8').trim();
    } catch {
      throw new Error(
        `the control plane's public key is unknown: set cluster.controlPlanePublicKey or copy ${KEY_FILES.controlPlanePublic} from a control-plane host into ${dir}`,
      );
    }
  }
  if (!isCurveKey(serverPublicKey))
    throw new Error("the control plane's public key is not a 40-character Z85 key");
  return { keyPair: loadOrCreateKeyPair(join(dir, KEY_FILES.worker(workerId))), serverPublicKey };
}

/** The join token a worker presents: `configured`, else the token file in `keysDir`, else "". */
export function workerJoinToken(keysDir: string, configured: string): string {
  return configured || readSecretFile(join(resolve(keysDir), KEY_FILES.joinToken))?.trim() || '';
}

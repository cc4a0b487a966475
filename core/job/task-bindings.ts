import { posix } from 'node:path';
import type { FieldIssue } from '../errors/index.js';
import { jsonPointer } from '../errors/index.js';
import type { PortBinding, VolumeMount } from './job-model.js';

const CONTAINER_PORT = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Reads one host-side value of a docker-py `ports` map: 8080, "8080", ["127.0.0.1", 8080], null. */
function hostSide(value: unknown): { hostIp: string; hostPort: number } | undefined {
  if (value === null) return { hostIp: '', hostPort: 0 }; // Docker picks an ephemeral port
  if (typeof value === 'number') return validPort(value) ? { hostIp: '', hostPort: value } : undefined;
  if (typeof value === 'string' && /^\d{1,5}$/.test(value)) return hostSide(Number(value));
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string') {
    const port = hostSide(value[1]);
    return port && port.hostPort > 0 ? { hostIp: value[0], hostPort: port.hostPort } : undefined;
  }
  return undefined;
}

/**
 * Normalises a docker-py style `ports` map into bindings. A value may also be a list of host
 * sides (several host ports for one container port).
 */
export function parsePorts(raw: unknown, pointer: string, issues: FieldIssue[]): PortBinding[] {
  if (raw === null || raw === undefined) return [];
  const out: PortBinding[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const here = pointer + jsonPointer(key);
    const m = CONTAINER_PORT.exec(key);
    if (!m || !validPort(Number(m[1]))) {
      issues.push({
        code: 'PORT_INVALID',
        pointer: here,
        message: `"${key}" is not a container port (e.g. "80" or "80/tcp")`,
      });
      continue;
    }
    const containerPort = `${Number(m[1])}/${m[2] ?? 'tcp'}`;
    const values =
      Array.isArray(value) && value.some((v) => Array.isArray(v) || typeof v === 'number') ? value : [value];
    for (const v of values) {
      const side = hostSide(v);
      if (!side) {
        issues.push({
          code: 'PORT_INVALID',
          pointer: here,
          message: `host side ${JSON.stringify(v)} of ${key} must be a port 1-65535, [ip, port] or null`,
        });
        continue;
      }
      out.push({ containerPort, ...side });
    }
  }
  return out;
}

/** True when `path` lies at or under `prefix` (on a path-segment boundary). */
function within(path: string, prefix: string): boolean {
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(p + '/');
}

/** Normalises a docker-py style `volumes` map and enforces the host-path allow-list. */
export function parseVolumes(
  raw: unknown,
  pointer: string,
  allowList: readonly string[],
  issues: FieldIssue[],
): VolumeMount[] {
  if (raw === null || raw === undefined) return [];
  const out: VolumeMount[] = [];
  for (const [hostPath, spec] of Object.entries(raw as Record<string, { bind: string; mode?: string }>)) {
    const here = pointer + jsonPointer(hostPath);
    if (
      !hostPath.startsWith('/') ||
      (posix.normalize(hostPath) !== hostPath.replace(/\/+$/, '') && hostPath !== '/')
    ) {
      issues.push({
        code: 'VOLUME_INVALID',
        pointer: here,
        message: hostPath.split('/').includes('..')
          ? `host path "${hostPath}" may not contain a ".." segment`
          : `host path "${hostPath}" must be absolute and normalised (no ".", "..", "//")`,
      });
      continue;
    }
    if (!allowList.some((prefix) => within(hostPath, prefix))) {
      issues.push({
        code: 'VOLUME_FORBIDDEN',
        pointer: here,
        message: `host path "${hostPath}" is outside the allowed prefixes (${allowList.join(', ') || 'none configured'})`,
      });
      continue;
    }
    if (!spec.bind.startsWith('/')) {
      issues.push({
        code: 'VOLUME_INVALID',
        pointer: here + '/bind',
        message: `bind "${spec.bind}" must be an absolute container path`,
      });
      continue;
    }
    out.push({ hostPath, containerPath: spec.bind, readOnly: spec.mode === 'ro' });
  }
  return out;
}

/** Reports host ports published twice within one job (any IP; protocol-aware). */
export function findDuplicateHostPorts(
  tasks: readonly { ports: readonly PortBinding[]; pointer: string }[],
  issues: FieldIssue[],
): void {
  const seen = new Map<string, string>();
  for (const t of tasks) {
    for (const b of t.ports) {
      if (b.hostPort === 0) continue;
      const key = `${b.hostPort}/${b.containerPort.split('/')[1] ?? 'tcp'}`;
      const first = seen.get(key);
      if (first !== undefined) {
        issues.push({
          code: 'HOST_PORT_DUPLICATE',
          pointer: t.pointer,
          message: `host port ${key} is already published by ${first} in this job`,
        });
      } else {
        seen.set(key, t.pointer);
      }
    }
  }
}

import { freeCoreIds, freeMemoryBytes, type JobRecord, type WorkerRecord } from '../core/model/records.js';
import { containerNameOf } from '../core/model/container-name.js';
import { formatCpuset, toOriginalStatus } from '../core/job/index.js';
import { redactEnv } from '../core/log/redact-secrets.js';
import type { WorkerRtt } from '../core/protocol/index.js';
import type { components } from '../openapi/schema.js';

type JobView = components['schemas']['JobView'];
type WorkerView = components['schemas']['WorkerView'];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The API's view of a stored job (schema `JobView`). */
export function jobView(j: JobRecord): JobView {
  return {
    name: j.name,
    state: j.state,
    originalStatus: toOriginalStatus(j.state),
    priority: j.priority,
    submittedAt: iso(j.submittedAt),
    scheduledAt: iso(j.scheduledAt),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    unplacedReason: j.unplacedReason,
    failureReason: j.failureReason,
    failureCode: j.failureCode ?? null,
    network: {
      name: j.spec.network.name,
      driver: j.spec.network.driver,
      subnet: j.spec.network.subnet ?? null,
    },
    tasks: j.tasks.map((t) => {
      const spec = j.spec.tasks.find((s) => s.name === t.name);
      return {
        name: t.name,
        state: t.state,
        originalStatus: toOriginalStatus(t.state),
        image: spec?.image ?? '',
        imageDigest: t.imageDigest ?? null,
        cores: t.cores,
        memoryBytes: t.memoryBytes,
        container: containerNameOf(j.spec, t.name, j.attempt),
        worker: t.workerId,
        cpuset: t.coreIds.length > 0 ? formatCpuset(t.coreIds) : null,
        exitCode: t.exitCode,
        reason: t.reason,
        attempts: j.attempt + 1,
        // Environment values are secrets: the names only (the worker alone receives the values).
        env: redactEnv(spec?.env ?? {}) as Record<string, '***'>,
      };
    }),
  };
}

/**
 * When the worker was last heard from: the later of the record's `lastHeartbeatAt` (its join:
 * heartbeats take no durable write) and the GlobalManager's `lastSeenAt` (its latest message,
 * kept in memory). A lost worker's `lastSeenAt` stays at its last message, so it never reads
 * "now"; a rejoin moves the record's time past an older `lastSeenAt`.
 */
export function lastHeardAt(recordMs: number | null, lastSeenAt: number | undefined): number | null {
  if (lastSeenAt === undefined) return recordMs;
  return recordMs === null ? lastSeenAt : Math.max(recordMs, lastSeenAt);
}

/**
 * The API's view of a stored worker (schema `WorkerView`), with its round trip when the
 * GlobalManager measured one (`rtt`) and its last message as the GlobalManager saw it.
 */
export function workerView(w: WorkerRecord, rtt?: WorkerRtt): WorkerView {
  return {
    id: w.id,
    state: w.state,
    runtime: w.runtime,
    totalCores: w.coreIds.length,
    coreIds: [...w.coreIds],
    freeCores: freeCoreIds(w),
    totalMemoryBytes: w.totalMemoryBytes,
    freeMemoryBytes: freeMemoryBytes(w),
    tasks: w.bookings.map((b) => `${b.job}/${b.task}`),
    lastHeartbeatAt: iso(lastHeardAt(w.lastHeartbeatAt, rtt?.lastSeenAt)),
    ...(rtt ? { rtt: { lastMs: rtt.lastMs, ewmaMs: rtt.ewmaMs, samples: rtt.samples } } : {}),
  };
}

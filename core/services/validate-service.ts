import type { FieldIssue } from '../errors/index.js';
import { imageReferenceProblem } from '../job/image-reference.js';
import type { JobRules } from '../job/validate-job.js';
import { NATIVE_TASK_FIELDS, normaliseTask } from '../job/normalise-task.js';
import { SchemaValidator } from '../openapi/index.js';
import {
  AUTOSCALE_DEFAULTS,
  SERVICE_DEFAULTS,
  type AutoscaleSpec,
  type QueueTarget,
  type ServiceSpec,
} from './service-model.js';

/** The outcome of {@link validateService}: a normalised spec, or every problem found. */
export type ServiceValidation =
  | { readonly ok: true; readonly service: ServiceSpec }
  | { readonly ok: false; readonly issues: FieldIssue[] };

let validator: SchemaValidator | undefined;

/**
 * Validates a service document (`ServiceInput` in openapi/openapi.yaml) and normalises it:
 * structure first (the spec's schema), then what a schema cannot say, every problem at once with
 * a pointer to its field. The replica's container fields (image, command, env, cores, memory) are
 * read by the same code as a job's task, so a service accepts exactly what a task accepts.
 */
export function validateService(body: unknown, rules: JobRules): ServiceValidation {
  validator ??= new SchemaValidator();
  const structural = validator.validateNamed('ServiceInput', body);
  if (structural.length > 0) return { ok: false, issues: structural };
  const raw = body as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const task = normaliseTask(
    {
      name: 'replica',
      image: raw['image'],
      command: raw['command'],
      env: raw['env'],
      cores: raw['cores'] ?? SERVICE_DEFAULTS.cores,
      memory: raw['memory'] ?? SERVICE_DEFAULTS.memory,
    },
    NATIVE_TASK_FIELDS,
    '',
    { volumeAllowList: [], minMemoryBytes: rules.minMemoryBytes },
    issues,
  );
  const imageProblem = imageReferenceProblem(task.image, rules.imageRegistryAllowList);
  if (imageProblem) issues.push({ code: 'FIELD_FORMAT', pointer: '/image', message: imageProblem });
  const minReplicas = (raw['minReplicas'] as number | undefined) ?? SERVICE_DEFAULTS.minReplicas;
  const maxReplicas = (raw['maxReplicas'] as number | undefined) ?? SERVICE_DEFAULTS.maxReplicas;
  if (minReplicas > maxReplicas)
    issues.push({
      code: 'FIELD_RANGE',
      pointer: '/minReplicas',
      message: `minReplicas (${minReplicas}) is above maxReplicas (${maxReplicas})`,
    });
  const latency = raw['latency'] as { softMs: number; hardMs: number } | undefined;
  if (latency && latency.softMs > latency.hardMs)
    issues.push({
      code: 'FIELD_RANGE',
      pointer: '/latency/softMs',
      message: `the soft limit (${latency.softMs} ms) is above the hard limit (${latency.hardMs} ms)`,
    });
  const autoscale = autoscaleOf(raw['autoscale'] as Record<string, unknown> | undefined, issues);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    service: {
      name: raw['name'] as string,
      image: task.image,
      command: task.command,
      env: task.env,
      port: raw['port'] as number,
      healthPath: (raw['healthPath'] as string | undefined) ?? SERVICE_DEFAULTS.healthPath,
      cores: task.cores,
      memoryBytes: task.memoryBytes,
      minReplicas,
      maxReplicas,
      idleTimeoutMs: (raw['idleTimeoutMs'] as number | undefined) ?? SERVICE_DEFAULTS.idleTimeoutMs,
      healthGraceMs: (raw['healthGraceMs'] as number | undefined) ?? SERVICE_DEFAULTS.healthGraceMs,
      priority: (raw['priority'] as number | undefined) ?? SERVICE_DEFAULTS.priority,
      placement: (raw['placement'] as 'spread' | 'pack' | undefined) ?? SERVICE_DEFAULTS.placement,
      latency: latency ? { softMs: latency.softMs, hardMs: latency.hardMs } : undefined,
      public: (raw['public'] as boolean | undefined) ?? SERVICE_DEFAULTS.public,
      ...(autoscale ? { autoscale } : {}),
    },
  };
}

/** `autoscale` with its defaults (the schema checked every field and its range). */
function autoscaleOf(
  raw: Record<string, unknown> | undefined,
  issues: FieldIssue[],
): AutoscaleSpec | undefined {
  if (!raw) return undefined;
  const queue = queueOf(raw['queue'] as Record<string, unknown> | undefined, issues);
  return {
    target: raw['target'] as number,
    ...(queue ? { queue } : {}),
    periodMs: (raw['periodMs'] as number | undefined) ?? AUTOSCALE_DEFAULTS.periodMs,
    maxStep: (raw['maxStep'] as number | undefined) ?? AUTOSCALE_DEFAULTS.maxStep,
    coolDownMs: (raw['coolDownMs'] as number | undefined) ?? AUTOSCALE_DEFAULTS.coolDownMs,
    downPeriods: (raw['downPeriods'] as number | undefined) ?? AUTOSCALE_DEFAULTS.downPeriods,
  };
}

/**
 * `autoscale.queue`: exactly one of `redisList` and `bullmqQueue` (the schema checked their
 * types and formats; "exactly one" is said here, in words, rather than by the schema's
 * min/maxProperties).
 */
function queueOf(raw: Record<string, unknown> | undefined, issues: FieldIssue[]): QueueTarget | undefined {
  if (!raw) return undefined;
  const list = raw['redisList'] as string | undefined;
  const bull = raw['bullmqQueue'] as string | undefined;
  if (list !== undefined && bull !== undefined) {
    issues.push({
      code: 'FIELD_FORMAT',
      pointer: '/autoscale/queue',
      message: 'autoscale.queue names one queue: either redisList or bullmqQueue, not both',
    });
    return undefined;
  }
  if (list !== undefined) return { redisList: list };
  if (bull !== undefined) return { bullmqQueue: bull };
  issues.push({
    code: 'FIELD_REQUIRED',
    pointer: '/autoscale/queue',
    message: 'autoscale.queue needs redisList (a Redis list key) or bullmqQueue (a BullMQ queue name)',
  });
  return undefined;
}

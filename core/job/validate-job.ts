import type { FieldIssue } from '../errors/index.js';
import { jsonPointer } from '../errors/index.js';
import { SchemaValidator } from '../openapi/index.js';
import { findForbiddenKeys } from './forbidden-keys.js';
import { checkNetworkName } from './network-names.js';
import { checkImageReferences } from './image-reference.js';
import {
  JOB_DEFAULTS,
  type JobSpec,
  type NetworkSpec,
  type RestartPolicy,
  type TaskSpec,
} from './job-model.js';
import { normaliseTask, NATIVE_TASK_FIELDS, ORIGINAL_TASK_FIELDS, type TaskRules } from './normalise-task.js';
import { relaxOriginalJob, type JobWarning } from './relax-original-job.js';
import { findDuplicateHostPorts } from './task-bindings.js';

export type { JobWarning };

/** Limits from configuration that a job document is checked against. */
export interface JobRules extends TaskRules {
  readonly maxBodyBytes: number;
  readonly maxTasksPerJob: number;
  /** Registries images may come from (`docker.io`, `registry:5000`); empty or absent: any. */
  readonly imageRegistryAllowList?: readonly string[];
}

/**
 * The outcome of {@link validateJob}: a normalised job (with what was read leniently, if
 * anything), or every problem found.
 */
export type JobValidation =
  | { readonly ok: true; readonly job: JobSpec; readonly warnings: readonly JobWarning[] }
  | { readonly ok: false; readonly issues: FieldIssue[] };

/** Options of one validation call. */
export interface ValidateJobOptions {
  /** Force a format; by default a body with `job_name` or `job_info` is read as the original. */
  readonly format?: 'original' | 'native';
  /** Size of the raw body, when known, checked against `maxBodyBytes`. */
  readonly bodyBytes?: number;
  /**
   * Original format only: read the document as the compatibility route does (see
   * relaxOriginalJob: unknown fields and network drivers are not errors but warnings).
   */
  readonly lenient?: boolean;
}

let sharedValidator: SchemaValidator | undefined;

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkSubnet(subnet: string | undefined, pointer: string, issues: FieldIssue[]): void {
  if (subnet === undefined || subnet === '') return;
  const m = CIDR.exec(subnet);
  const ok = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
  if (!ok)
    issues.push({
      code: 'NETWORK_INVALID',
      pointer,
      message: `"${subnet}" is not an IPv4 CIDR such as "10.10.0.0/16"`,
    });
}

interface Normalised {
  tasks: TaskSpec[];
  taskPointers: string[];
}

function checkTasks(count: number, pointer: string, rules: JobRules, issues: FieldIssue[]): boolean {
  if (count === 0) {
    issues.push({ code: 'JOB_NO_TASKS', pointer, message: 'a job needs at least one task' });
    return false;
  }
  if (count > rules.maxTasksPerJob) {
    issues.push({
      code: 'TOO_MANY_TASKS',
      pointer,
      message: `${count} tasks exceed the limit of ${rules.maxTasksPerJob} per job`,
    });
    return false;
  }
  return true;
}

function checkCollisions(n: Normalised, names: string, issues: FieldIssue[]): void {
  const seen = new Map<string, string>();
  n.tasks.forEach((t, i) => {
    // Container names double as DNS names on the job network, and DNS ignores case.
    const key = t.name.toLowerCase();
    const first = seen.get(key);
    const pointer = (n.taskPointers[i] as string) + jsonPointer(names);
    if (first !== undefined) {
      issues.push({
        code: 'NAME_COLLISION',
        pointer,
        message: `task name "${t.name}" collides with "${first}" (names are case-insensitive)`,
      });
    } else {
      seen.set(key, t.name);
    }
  });
  findDuplicateHostPorts(
    n.tasks.map((t, i) => ({ ports: t.ports, pointer: (n.taskPointers[i] as string) + '/ports' })),
    issues,
  );
}

function fromOriginal(
  body: Record<string, unknown>,
  rules: JobRules,
  issues: FieldIssue[],
): JobSpec | undefined {
  const name = body['job_name'] as string;
  const info = body['job_info'] as {
    network?: { name: string; driver?: string; subnet?: string };
    tasks: Record<string, Record<string, unknown>>;
  };
  if (body['status'] !== undefined && body['status'] !== 'Ready') {
    issues.push({
      code: 'STATUS_INVALID',
      pointer: '/status',
      message: `a new job must have status "Ready", not ${JSON.stringify(body['status'])}`,
    });
  }
  const entries = Object.entries(info.tasks);
  if (!checkTasks(entries.length, '/job_info/tasks', rules, issues)) return undefined;
  const n: Normalised = { tasks: [], taskPointers: [] };
  for (const [key, raw] of entries) {
    const pointer = jsonPointer('job_info', 'tasks', key);
    if (raw['container_name'] !== key) {
      issues.push({
        code: 'TASK_KEY_MISMATCH',
        pointer: pointer + '/container_name',
        message: `container_name "${String(raw['container_name'])}" must equal its task key "${key}"`,
      });
    }
    if (raw['status'] !== undefined && raw['status'] !== 'Ready') {
      issues.push({
        code: 'STATUS_INVALID',
        pointer: pointer + '/status',
        message: `a new task must have status "Ready", not ${JSON.stringify(raw['status'])}`,
      });
    }
    n.tasks.push(normaliseTask(raw, ORIGINAL_TASK_FIELDS, pointer, rules, issues));
    n.taskPointers.push(pointer);
  }
  checkCollisions(n, 'container_name', issues);
  checkImageReferences(n.tasks, n.taskPointers, rules.imageRegistryAllowList, issues);
  checkNetworkName(info.network?.name, '/job_info/network/name', issues);
  checkSubnet(info.network?.subnet, '/job_info/network/subnet', issues);
  const network: NetworkSpec = {
    name: info.network?.name ?? JOB_DEFAULTS.networkName(name),
    // The original always ran on Docker Swarm, so its documents always say "overlay": read it as
    // "overlay when the engine is in swarm mode, bridge on a single engine".
    driver: info.network?.driver === 'bridge' ? 'bridge' : 'auto',
    subnet: info.network?.subnet || undefined,
  };
  return {
    name,
    format: 'original',
    priority: JOB_DEFAULTS.priority,
    network,
    restartPolicy: JOB_DEFAULTS.restartPolicy,
    tasks: n.tasks,
  };
}

function fromNative(
  body: Record<string, unknown>,
  rules: JobRules,
  issues: FieldIssue[],
): JobSpec | undefined {
  const name = body['name'] as string;
  const tasks = body['tasks'] as Record<string, unknown>[];
  if (!checkTasks(tasks.length, '/tasks', rules, issues)) return undefined;
  const n: Normalised = { tasks: [], taskPointers: [] };
  tasks.forEach((raw, i) => {
    const pointer = jsonPointer('tasks', i);
    n.tasks.push(normaliseTask(raw, NATIVE_TASK_FIELDS, pointer, rules, issues));
    n.taskPointers.push(pointer);
  });
  checkCollisions(n, 'name', issues);
  checkImageReferences(n.tasks, n.taskPointers, rules.imageRegistryAllowList, issues);
  const net = body['network'] as
    { name?: string; driver?: NetworkSpec['driver']; subnet?: string } | undefined;
  checkNetworkName(net?.name, '/network/name', issues);
  checkSubnet(net?.subnet, '/network/subnet', issues);
  const policy = (body['restartPolicy'] ?? {}) as Partial<RestartPolicy>;
  return {
    name,
    format: 'native',
    priority: (body['priority'] as number | undefined) ?? JOB_DEFAULTS.priority,
    network: {
      name: net?.name ?? JOB_DEFAULTS.networkName(name),
      driver: net?.driver ?? JOB_DEFAULTS.networkDriver,
      subnet: net?.subnet || undefined,
    },
    restartPolicy: { ...JOB_DEFAULTS.restartPolicy, ...policy },
    tasks: n.tasks,
    ...(typeof body['spreadGroup'] === 'string' ? { spreadGroup: body['spreadGroup'] } : {}),
  };
}

/**
 * Validates a submitted job document (original or native format) and normalises it.
 *
 * Order: size, forbidden keys, structure (the OpenAPI schema), then semantics (units, names,
 * key/name agreement, ports, volumes, pins). Every problem found is reported, each with a stable
 * code, a JSON pointer and a sentence; nothing partial is returned on failure.
 */
export function validateJob(body: unknown, rules: JobRules, options: ValidateJobOptions = {}): JobValidation {
  if (options.bodyBytes !== undefined && options.bodyBytes > rules.maxBodyBytes) {
    return {
      ok: false,
      issues: [
        {
          code: 'BODY_TOO_LARGE',
          pointer: '',
          message: `the body has ${options.bodyBytes} bytes; the limit is ${rules.maxBodyBytes}`,
        },
      ],
    };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      issues: [{ code: 'FIELD_TYPE', pointer: '', message: 'the body must be a JSON object' }],
    };
  }
  const forbidden = findForbiddenKeys(body);
  if (forbidden.length > 0) return { ok: false, issues: forbidden };
  let record = body as Record<string, unknown>;
  const format = options.format ?? ('job_name' in record || 'job_info' in record ? 'original' : 'native');
  sharedValidator ??= new SchemaValidator();
  let warnings: JobWarning[] = [];
  if (format === 'original' && options.lenient) {
    const loose = sharedValidator.validateNamed('CompatOriginalJob', body);
    if (loose.length > 0) return { ok: false, issues: loose };
    ({ body: record, warnings } = relaxOriginalJob(record));
  }
  const structural = sharedValidator.validateNamed(
    format === 'original' ? 'OriginalJob' : 'NativeJob',
    record,
  );
  if (structural.length > 0) return { ok: false, issues: structural };
  const issues: FieldIssue[] = [];
  const job = format === 'original' ? fromOriginal(record, rules, issues) : fromNative(record, rules, issues);
  if (issues.length > 0 || !job) return { ok: false, issues };
  return { ok: true, job, warnings };
}

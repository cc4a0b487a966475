import { parse as shellParse } from 'shell-quote';
import type { FieldIssue } from '../errors/index.js';
import { jsonPointer } from '../errors/index.js';
import { parseCpuset } from './cpuset.js';
import type { TaskSpec } from './job-model.js';
import { parseMemorySize, formatMemorySize } from './memory-size.js';
import { parsePorts, parseVolumes } from './task-bindings.js';

/** Field names of one task in either input format, so both share one normaliser. */
export interface TaskFieldNames {
  readonly name: string;
  readonly cores: string;
  readonly memory: string;
  readonly cpuset: string;
  readonly env: string;
}

/** Field names of the original format's task. */
export const ORIGINAL_TASK_FIELDS: TaskFieldNames = {
  name: 'container_name',
  cores: 'req_cores',
  memory: 'mem_limit',
  cpuset: 'cpuset_cpus',
  env: 'environment',
};

/** Field names of the native format's task. */
export const NATIVE_TASK_FIELDS: TaskFieldNames = {
  name: 'name',
  cores: 'cores',
  memory: 'memory',
  cpuset: 'cpuset',
  env: 'env',
};

/** Limits that come from configuration. */
export interface TaskRules {
  readonly volumeAllowList: readonly string[];
  readonly minMemoryBytes: number;
}

function parseCommand(raw: unknown, pointer: string, issues: FieldIssue[]): string[] | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (Array.isArray(raw)) return raw.length === 0 ? undefined : (raw as string[]);
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (text.trim() === '') return undefined;
  const argv: string[] = [];
  for (const token of shellParse(text)) {
    if (typeof token !== 'string') {
      issues.push({
        code: 'COMMAND_INVALID',
        pointer,
        message:
          'command uses shell syntax (pipes, redirects, globs, $VARS); pass ["sh", "-c", "…"] to run a shell',
      });
      return undefined;
    }
    argv.push(token);
  }
  return argv;
}

function parseEnv(raw: unknown, pointer: string, issues: FieldIssue[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (raw === null || raw === undefined) return env;
  if (Array.isArray(raw)) {
    (raw as string[]).forEach((entry, i) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) {
        issues.push({
          code: 'ENV_INVALID',
          pointer: pointer + jsonPointer(i),
          message: `"${entry}" must look like NAME=value`,
        });
      } else {
        env[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
    });
    return env;
  }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k.includes('=') || k === '') {
      issues.push({
        code: 'ENV_INVALID',
        pointer: pointer + jsonPointer(k),
        message: `variable name "${k}" may not be empty or contain "="`,
      });
      continue;
    }
    env[k] = String(v);
  }
  return env;
}

/**
 * Turns one structurally valid task (either format) into a {@link TaskSpec}, reporting every
 * semantic problem with a pointer under `pointer`.
 */
export function normaliseTask(
  raw: Readonly<Record<string, unknown>>,
  names: TaskFieldNames,
  pointer: string,
  rules: TaskRules,
  issues: FieldIssue[],
): TaskSpec {
  const at = (field: string): string => pointer + jsonPointer(field);
  const name = raw[names.name] as string;
  const cores = raw[names.cores] as number;

  const memText = raw[names.memory] as string;
  let memoryBytes = parseMemorySize(memText) ?? 0;
  if (parseMemorySize(memText) === undefined) {
    issues.push({
      code: 'MEMORY_INVALID',
      pointer: at(names.memory),
      message: `"${memText}" is not a memory size: use a number with unit b, k, m or g (e.g. "50m")`,
    });
  } else if (memoryBytes < rules.minMemoryBytes) {
    issues.push({
      code: 'MEMORY_INVALID',
      pointer: at(names.memory),
      message: `"${memText}" is below the minimum memory limit of ${formatMemorySize(rules.minMemoryBytes)}`,
    });
    memoryBytes = 0;
  }

  const nodeRaw = raw['node'];
  const node = typeof nodeRaw === 'string' && nodeRaw.trim() !== '' ? nodeRaw.trim() : undefined;
  const cpusetRaw = raw[names.cpuset];
  let coreIds: number[] | undefined;
  if (typeof cpusetRaw === 'string' && cpusetRaw.trim() !== '') {
    coreIds = parseCpuset(cpusetRaw);
    if (!coreIds) {
      issues.push({
        code: 'CPUSET_INVALID',
        pointer: at(names.cpuset),
        message: `"${cpusetRaw}" is not a cpuset list such as "0,3" or "0-3"`,
      });
    } else if (coreIds.length !== cores) {
      issues.push({
        code: 'CPUSET_INVALID',
        pointer: at(names.cpuset),
        message: `cpuset "${cpusetRaw}" names ${coreIds.length} cores but ${names.cores} is ${cores}`,
      });
    }
    if (!node) {
      issues.push({
        code: 'PIN_INCOMPLETE',
        pointer: at('node'),
        message: `${names.cpuset} is set, so node must name the worker`,
      });
    }
  }

  return {
    name,
    image: raw['image'] as string,
    command: parseCommand(raw['command'], at('command'), issues),
    cores,
    memoryBytes,
    pin: node ? { workerId: node, coreIds } : undefined,
    ports: parsePorts(raw['ports'], at('ports'), issues),
    volumes: parseVolumes(raw['volumes'], at('volumes'), rules.volumeAllowList, issues),
    env: parseEnv(raw[names.env], at(names.env), issues),
    runSeconds: typeof raw['runSeconds'] === 'number' ? raw['runSeconds'] : undefined,
    deadline: typeof raw['deadline'] === 'number' ? raw['deadline'] : undefined,
  };
}

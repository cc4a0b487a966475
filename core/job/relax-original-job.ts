import { jsonPointer } from '../errors/index.js';
import { loadSpec } from '../openapi/index.js';
import { parseCidr } from '../security/cidr.js';

/** One lenient reading of a submitted document: where, and what was done instead. */
export interface JobWarning {
  /** JSON pointer to the field, e.g. `/job_info/network/driver`. */
  readonly field: string;
  readonly message: string;
}

/** The field names and drivers the strict original format knows, read from the spec. */
interface OriginalShape {
  readonly job: ReadonlySet<string>;
  readonly jobInfo: ReadonlySet<string>;
  readonly network: ReadonlySet<string>;
  readonly task: ReadonlySet<string>;
  readonly drivers: readonly string[];
}

type Obj = Record<string, unknown>;

let shape: OriginalShape | undefined;

/** Reads the known fields from `OriginalJob`, `OriginalNetwork` and `OriginalTask`, so they stay one list. */
function originalShape(): OriginalShape {
  if (shape) return shape;
  const schemas = loadSpec().components.schemas as Record<string, Obj>;
  const props = (s: Obj | undefined): Obj => (s?.['properties'] ?? {}) as Obj;
  const job = props(schemas['OriginalJob']);
  const network = props(schemas['OriginalNetwork']);
  shape = {
    job: new Set(Object.keys(job)),
    jobInfo: new Set(Object.keys(props(job['job_info'] as Obj))),
    network: new Set(Object.keys(network)),
    task: new Set(Object.keys(props(schemas['OriginalTask']))),
    drivers: ((network['driver'] as Obj | undefined)?.['enum'] ?? []) as string[],
  };
  return shape;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function dropUnknown(o: Obj, known: ReadonlySet<string>, pointer: string, warnings: JobWarning[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (known.has(k)) out[k] = v;
    else
      warnings.push({
        field: pointer + jsonPointer(k),
        message: `unknown field "${k}" ignored (the original accepted and ignored it)`,
      });
  }
  return out;
}

function relaxNetwork(raw: Obj, shape: OriginalShape, warnings: JobWarning[]): Obj {
  const at = '/job_info/network';
  const net = dropUnknown(raw, shape.network, at, warnings);
  const driver = net['driver'];
  if (typeof driver === 'string' && !shape.drivers.includes(driver)) {
    net['driver'] = 'overlay';
    warnings.push({
      field: `${at}/driver`,
      message:
        `network driver "${driver}" is not available here; the job uses the cluster's network ` +
        'driver (overlay in swarm mode, bridge on a single engine)',
    });
  }
  const subnet = net['subnet'];
  // Engines refuse a subnet with host bits set (10.10.26.178/24); the original's samples have one.
  const cidr = typeof subnet === 'string' && subnet.includes('.') ? parseCidr(subnet) : undefined;
  if (cidr && cidr.family === 4 && typeof subnet === 'string') {
    const base = [24n, 16n, 8n, 0n].map((s) => String((cidr.base >> s) & 255n)).join('.');
    const network = `${base}/${cidr.prefix}`;
    if (network !== subnet) {
      net['subnet'] = network;
      warnings.push({
        field: `${at}/subnet`,
        message: `subnet "${subnet}" has host bits set; the job network uses "${network}"`,
      });
    }
  }
  return net;
}

function relaxTasks(raw: Obj, shape: OriginalShape, warnings: JobWarning[]): Obj {
  const tasks: Obj = {};
  for (const [key, value] of Object.entries(raw)) {
    const at = jsonPointer('job_info', 'tasks', key);
    const task = isObj(value) ? dropUnknown(value, shape.task, at, warnings) : value;
    const name = isObj(task) ? task['container_name'] : undefined;
    // The original ran the container under container_name; a differing key only made its status
    // updates miss. Taken only when the name is free, else the mismatch is reported as an error.
    if (
      typeof name === 'string' &&
      name !== key &&
      !Object.hasOwn(raw, name) &&
      !Object.hasOwn(tasks, name)
    ) {
      tasks[name] = task;
      warnings.push({
        field: `${at}/container_name`,
        message: `task key "${key}" differs from its container_name "${name}"; the task is named "${name}"`,
      });
    } else {
      tasks[key] = task;
    }
  }
  return tasks;
}

/**
 * Reads an original-format document the way the compatibility route does (the original ignored
 * what it did not know): unknown fields are dropped, an unknown network driver becomes the
 * cluster's, a subnet's host bits are cleared, a task key yields to its `container_name`. Each
 * change is one warning. The result still goes through the strict validation; anything not
 * covered here is refused as on the native route. Expects a body that passed `CompatOriginalJob`.
 */
export function relaxOriginalJob(body: Obj): { body: Obj; warnings: JobWarning[] } {
  const s = originalShape();
  const warnings: JobWarning[] = [];
  const out = dropUnknown(body, s.job, '', warnings);
  if (isObj(out['job_info'])) {
    const info = dropUnknown(out['job_info'], s.jobInfo, '/job_info', warnings);
    if (isObj(info['network'])) info['network'] = relaxNetwork(info['network'], s, warnings);
    if (isObj(info['tasks'])) info['tasks'] = relaxTasks(info['tasks'], s, warnings);
    out['job_info'] = info;
  }
  return { body: out, warnings };
}

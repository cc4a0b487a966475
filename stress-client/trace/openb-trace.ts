/**
 * The Alibaba "openb" trace (shared/workloads/alibaba-openb) as a {@link Workload}: the node list
 * becomes the fleet, every pod a one-task job. The mapping follows the trace's README: cores =
 * ceil(cpu_milli / 1000) for a pod and floor(cpu_milli / 1000) for a node (a node never offers a
 * fraction of a core), memory = memory_mib MiB, arrival = creation_time, run time = deletion_time −
 * creation_time, both divided by the time-compression factor. GPU columns, QoS and the recorded
 * phase are ignored: the replay asks how *our* scheduler would have placed the same demand.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FleetWorker, Workload, WorkloadJob } from '../workload.js';
import { parseTraceCsv, type TraceRow } from './trace-csv.js';
import { sampleIndices } from './trace-sample.js';

/** Options of {@link loadOpenbTrace}; every one is recorded in the workload's source params. */
export interface OpenbOptions {
  /** Folder holding `openb_node_list_all_node.csv` and `openb_pod_list_default.csv`. */
  dir: string;
  /** Time ÷ factor for arrivals and run times; ≥ 1 (1 replays the trace's own pace). */
  compression: number;
  /** Fraction of nodes kept, 0 < x ≤ 1, chosen with the seed. @defaultValue 1 */
  nodeSample?: number;
  /** Fraction of pods kept, 0 < x ≤ 1, chosen with the seed. @defaultValue 1 */
  podSample?: number;
  seed: number;
  /** Keep only the first N pods by arrival (after sampling). */
  limitPods?: number;
  /** Every pod is its own one-task job (the only grouping so far; recorded for the record). */
  onePodPerJob?: true;
  /** Image of every task (a real-time run starts it with `sleep <runSeconds>`). */
  image?: string;
}

/** The node list file inside the trace folder. */
export const OPENB_NODE_FILE = 'openb_node_list_all_node.csv';
/** The pod list file inside the trace folder. */
export const OPENB_POD_FILE = 'openb_pod_list_default.csv';
/** The test image: the only one a registry-free machine has. */
export const OPENB_DEFAULT_IMAGE = 'rswarm/busybox:latest';

export { OPENB_DEFAULT_DIR } from './openb-default-dir.js';

const MIB = 1024 * 1024;
/** The API's `Name` rule (openapi/openapi.yaml): pod names that break it are renamed. */
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

function checkOptions(opts: OpenbOptions): void {
  const fraction = (field: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isFinite(v) && v > 0 && v <= 1)) {
      throw new RangeError(`openb trace: ${field} must be a fraction in (0, 1] (got ${String(v)})`);
    }
  };
  if (!(Number.isFinite(opts.compression) && opts.compression >= 1)) {
    throw new RangeError(`openb trace: compression must be a number >= 1 (got ${String(opts.compression)})`);
  }
  fraction('nodeSample', opts.nodeSample);
  fraction('podSample', opts.podSample);
  if (!Number.isSafeInteger(opts.seed)) {
    throw new RangeError(`openb trace: seed must be an integer (got ${String(opts.seed)})`);
  }
  if (opts.limitPods !== undefined && !(Number.isSafeInteger(opts.limitPods) && opts.limitPods >= 1)) {
    throw new RangeError(`openb trace: limitPods must be a positive integer (got ${String(opts.limitPods)})`);
  }
}

function nodeOf(row: TraceRow): FleetWorker {
  return {
    id: row.text('sn'),
    cores: Math.floor(row.number('cpu_milli', { min: 1000 }) / 1000),
    memoryBytes: Math.round(row.number('memory_mib', { min: 0 }) * MIB),
  };
}

interface Pod {
  readonly name: string;
  readonly line: number;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly createdS: number;
  readonly lifetimeS: number;
}

function podOf(row: TraceRow): Pod {
  const createdS = row.number('creation_time', { min: 0 });
  const deletedS = row.number('deletion_time', { min: createdS, minLabel: 'creation_time' });
  return {
    name: row.text('name'),
    line: row.line,
    cores: Math.ceil(row.number('cpu_milli', { min: 1, exclusiveMin: 0 }) / 1000),
    memoryBytes: Math.round(row.number('memory_mib', { min: 0 }) * MIB),
    createdS,
    lifetimeS: deletedS - createdS,
  };
}

/** A valid, unique API name for a pod: its own when valid, else `pod-<line>`. */
function jobName(pod: Pod, used: Set<string>): string {
  let name = NAME_RE.test(pod.name) && !used.has(pod.name) ? pod.name : `pod-${pod.line}`;
  for (let k = 2; used.has(name); k++) name = `pod-${pod.line}-${k}`;
  used.add(name);
  return name;
}

/**
 * Loads the trace as a workload with its fleet. Deterministic: the same options (seed included)
 * give the same workload.
 *
 * @throws AppError `VALIDATION_FAILED` naming file, line and column for a malformed row;
 *   RangeError for bad options
 */
export async function loadOpenbTrace(opts: OpenbOptions): Promise<Workload> {
  checkOptions(opts);
  const [nodeText, podText] = await Promise.all([
    readFile(path.join(opts.dir, OPENB_NODE_FILE), 'utf8'),
    readFile(path.join(opts.dir, OPENB_POD_FILE), 'utf8'),
  ]);
  return openbWorkload(nodeText, podText, opts);
}

/**
 * {@link loadOpenbTrace} on file contents already read (tests feed it small CSV texts).
 * @throws as {@link loadOpenbTrace}
 */
export function openbWorkload(nodeText: string, podText: string, opts: OpenbOptions): Workload {
  checkOptions(opts);
  const nodes = parseTraceCsv(OPENB_NODE_FILE, nodeText, ['sn', 'cpu_milli', 'memory_mib']).map(nodeOf);
  const seenNodes = new Set<string>();
  for (const n of nodes) {
    if (seenNodes.has(n.id)) throw new RangeError(`${OPENB_NODE_FILE}: node ${n.id} appears twice`);
    seenNodes.add(n.id);
  }
  const pods = parseTraceCsv(OPENB_POD_FILE, podText, [
    'name',
    'cpu_milli',
    'memory_mib',
    'creation_time',
    'deletion_time',
  ]).map(podOf);

  const fleet = sampleIndices(nodes.length, opts.nodeSample ?? 1, opts.seed).map((i) => nodes[i]!);
  let kept = sampleIndices(pods.length, opts.podSample ?? 1, opts.seed ^ 0x5bd1e995).map((i) => pods[i]!);
  kept.sort((a, b) => a.createdS - b.createdS || a.line - b.line);
  if (opts.limitPods !== undefined) kept = kept.slice(0, opts.limitPods);

  const image = opts.image ?? OPENB_DEFAULT_IMAGE;
  const used = new Set<string>();
  const jobs: WorkloadJob[] = kept.map((pod) => {
    const runSeconds = pod.lifetimeS / opts.compression;
    return {
      name: jobName(pod, used),
      arrivalMs: Math.round((pod.createdS * 1000) / opts.compression),
      priority: 0,
      tasks: [
        {
          name: 'pod',
          cores: pod.cores,
          memoryBytes: pod.memoryBytes,
          runSeconds,
          image,
          command: ['sleep', String(runSeconds)],
        },
      ],
    };
  });
  // Names break ties so the order is total (the Workload contract).
  jobs.sort((a, b) => a.arrivalMs - b.arrivalMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    source: {
      kind: 'trace',
      params: {
        trace: 'alibaba-openb',
        dir: opts.dir,
        compression: opts.compression,
        nodeSample: opts.nodeSample ?? 1,
        podSample: opts.podSample ?? 1,
        limitPods: opts.limitPods ?? null,
        onePodPerJob: true,
        image,
        nodes: fleet.length,
        pods: jobs.length,
        seed: opts.seed,
      },
      seed: opts.seed,
    },
    jobs,
    fleet,
  };
}

/**
 * The Alibaba "openb" trace (shared/workloads/alibaba-openb) as a {@link Workload}: the node list
 * becomes the fleet, every pod a one-task job. The mapping follows the trace's README: cores =
 * ceil(cpu_milli / 1000) for a pod and floor(cpu_milli / 1000) for a node (a node never offers a
 * fraction of a core), memory = memory_mib MiB, arrival = creation_time, run time = deletion_time −
 * creation_time, both divided by the time-compression factor. GPU columns, QoS and the recorded
 * phase are ignored: the replay asks how *our* scheduler would have placed the same demand.
 */
import path from 'node:path';
import type { FleetWorker, TraceInput, Workload, WorkloadJob } from '../workload.js';
import { parseTraceCsv, type TraceRow } from './trace-csv.js';
import { readTraceInput } from './trace-input.js';
import { sampleIndices } from './trace-sample.js';
import {
  checkOpenEnded,
  describeOpenEnded,
  DEFAULT_OPEN_ENDED,
  DEFAULT_TINY_NODES,
  type OpenEnded,
  type TinyNodes,
} from './trace-policies.js';

/** Options of {@link loadOpenbTrace}; every one is recorded in the workload's source params. */
export interface OpenbOptions {
  /** Folder holding `openb_node_list_all_node.csv` and `openb_pod_list_default.csv`. */
  dir: string;
  /** The pod list instead of `<dir>/openb_pod_list_default.csv` (another variant of the trace). */
  podFile?: string;
  /** The node list instead of `<dir>/openb_node_list_all_node.csv`. */
  nodeFile?: string;
  /** Pods without a deletion time. @defaultValue until-end */
  openEnded?: OpenEnded;
  /** Nodes under one core (1,000 milli). @defaultValue drop */
  tinyNodes?: TinyNodes;
  /** Time ÷ factor for arrivals and run times; ≥ 1 (1 replays the trace's own pace). */
  compression: number;
  /** Fraction of nodes kept, 0 < x ≤ 1, or a whole number of nodes > 1, chosen with the seed. @defaultValue 1 */
  nodeSample?: number;
  /** Fraction of pods kept, 0 < x ≤ 1, or a whole number of pods > 1, chosen with the seed. @defaultValue 1 */
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
    if (v !== undefined && !(Number.isFinite(v) && v > 0 && (v <= 1 || Number.isSafeInteger(v)))) {
      throw new RangeError(
        `openb trace: ${field} must be a fraction in (0, 1] or a whole number of rows (got ${String(v)})`,
      );
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
  if (opts.openEnded !== undefined) checkOpenEnded(opts.openEnded);
  if (opts.tinyNodes !== undefined && opts.tinyNodes !== 'drop' && opts.tinyNodes !== 'round-up') {
    throw new RangeError(`openb trace: tinyNodes must be drop or round-up (got ${String(opts.tinyNodes)})`);
  }
}

/** A node, or undefined for one under one core that `tinyNodes` drops. */
function nodeOf(row: TraceRow, tiny: TinyNodes): FleetWorker | undefined {
  const milli = row.number('cpu_milli', { min: 0 });
  if (milli < 1000 && tiny === 'drop') return undefined;
  return {
    id: row.text('sn'),
    cores: Math.max(1, Math.floor(milli / 1000)),
    memoryBytes: Math.round(row.number('memory_mib', { min: 0 }) * MIB),
  };
}

interface Pod {
  readonly name: string;
  readonly line: number;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly createdS: number;
  /** Null for a pod without a deletion time (still running when the trace ends). */
  readonly deletedS: number | null;
}

function podOf(row: TraceRow): Pod {
  const createdS = row.number('creation_time', { min: 0 });
  const deletedS = row.isEmpty('deletion_time')
    ? null
    : row.number('deletion_time', { min: createdS, minLabel: 'creation_time' });
  return {
    name: row.text('name'),
    line: row.line,
    cores: Math.ceil(row.number('cpu_milli', { min: 1, exclusiveMin: 0 }) / 1000),
    memoryBytes: Math.round(row.number('memory_mib', { min: 0 }) * MIB),
    createdS,
    deletedS,
  };
}

/** The pod's run time in trace seconds under `policy`, or null when the pod is dropped. */
function lifetimeOf(pod: Pod, policy: OpenEnded, traceEndS: number): number | null {
  if (pod.deletedS !== null) return pod.deletedS - pod.createdS;
  if (policy.kind === 'drop') return null;
  if (policy.kind === 'until-end') return traceEndS - pod.createdS;
  return policy.seconds;
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
  const [nodes, pods] = await Promise.all([
    readTraceInput(
      'nodes',
      opts.nodeFile ?? path.join(opts.dir, OPENB_NODE_FILE),
      opts.nodeFile !== undefined ? '--node-file' : '--trace-dir',
    ),
    readTraceInput(
      'pods',
      opts.podFile ?? path.join(opts.dir, OPENB_POD_FILE),
      opts.podFile !== undefined ? '--trace-file' : '--trace-dir',
    ),
  ]);
  return openbWorkload(nodes.text, pods.text, opts, [nodes.input, pods.input]);
}

/**
 * {@link loadOpenbTrace} on file contents already read (tests feed it small CSV texts).
 * @throws as {@link loadOpenbTrace}
 */
export function openbWorkload(
  nodeText: string,
  podText: string,
  opts: OpenbOptions,
  inputs?: readonly TraceInput[],
): Workload {
  checkOptions(opts);
  const nodeFile = inputs?.find((i) => i.role === 'nodes')?.file ?? OPENB_NODE_FILE;
  const podFile = inputs?.find((i) => i.role === 'pods')?.file ?? OPENB_POD_FILE;
  const tinyNodes = opts.tinyNodes ?? DEFAULT_TINY_NODES;
  const openEnded = opts.openEnded ?? DEFAULT_OPEN_ENDED;
  const nodeRows = parseTraceCsv(nodeFile, nodeText, ['sn', 'cpu_milli', 'memory_mib']);
  const nodes: FleetWorker[] = [];
  for (const row of nodeRows) {
    const node = nodeOf(row, tinyNodes);
    if (node !== undefined) nodes.push(node);
  }
  const seenNodes = new Set<string>();
  for (const n of nodes) {
    if (seenNodes.has(n.id)) throw new RangeError(`${nodeFile}: node ${n.id} appears twice`);
    seenNodes.add(n.id);
  }
  const parsed = parseTraceCsv(podFile, podText, [
    'name',
    'cpu_milli',
    'memory_mib',
    'creation_time',
    'deletion_time',
  ]).map(podOf);
  let traceEndS = 0;
  for (const p of parsed) traceEndS = Math.max(traceEndS, p.createdS, p.deletedS ?? 0);
  const pods: (Pod & { lifetimeS: number })[] = [];
  for (const p of parsed) {
    const lifetimeS = lifetimeOf(p, openEnded, traceEndS);
    if (lifetimeS !== null) pods.push({ ...p, lifetimeS });
  }

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
        podFile: opts.podFile ?? path.join(opts.dir, OPENB_POD_FILE),
        nodeFile: opts.nodeFile ?? path.join(opts.dir, OPENB_NODE_FILE),
        openEnded: describeOpenEnded(openEnded),
        openEndedPods: parsed.filter((p) => p.deletedS === null).length,
        droppedPods: parsed.length - pods.length,
        tinyNodes,
        tinyNodeCount: nodeRows.filter((r) => r.number('cpu_milli') < 1000).length,
        droppedNodes: nodeRows.length - nodes.length,
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
      ...(inputs !== undefined ? { inputs } : {}),
    },
    jobs,
    fleet,
  };
}

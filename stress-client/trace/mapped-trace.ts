/**
 * A trace of any shape as a {@link Workload}, read through a column mapping (trace-mapping.ts):
 * one row per task (run time from an end or a duration column) or event rows (a task's run time
 * from its first SCHEDULE to the first end event after it, or from SUBMIT), tasks grouped into
 * jobs by a column, resources scaled, nodes from a node file (one row per node, or its first ADD
 * event). Open-ended tasks and nodes under one core follow trace-policies.ts. Sampling, the limit
 * and time compression work as for openb (a job is sampled whole).
 */
import path from 'node:path';
import { AppError } from '../../core/errors/index.js';
import type { FleetWorker, TraceInput, Workload, WorkloadJob, WorkloadTask } from '../workload.js';
import { OPENB_DEFAULT_IMAGE } from './openb-trace.js';
import { readTraceInput } from './trace-input.js';
import type { TraceMapping } from './trace-mapping.js';
import {
  checkOpenEnded,
  DEFAULT_OPEN_ENDED,
  DEFAULT_TINY_NODES,
  describeOpenEnded,
  type OpenEnded,
  type TinyNodes,
} from './trace-policies.js';
import { sampleIndices } from './trace-sample.js';
import { TraceTable } from './trace-table.js';

/** Options of {@link loadMappedTrace}; recorded in the workload's source params. */
export interface MappedTraceOptions {
  readonly mapping: TraceMapping;
  /** The preset's name or the mapping file's path, for the record. */
  readonly format: string;
  readonly tasksFile: string;
  readonly nodesFile?: string | undefined;
  /** Time ÷ factor, ≥ 1. */
  readonly compression: number;
  readonly seed: number;
  readonly nodeSample?: number | undefined;
  /** Share of jobs kept. */
  readonly podSample?: number | undefined;
  /** Keep only the first N jobs by arrival. */
  readonly limitPods?: number | undefined;
  readonly openEnded?: OpenEnded | undefined;
  readonly tinyNodes?: TinyNodes | undefined;
  readonly image?: string | undefined;
  /** Recorded as given (the mapping file's record). */
  readonly mappingInput?: TraceInput | undefined;
}

const SECONDS: Readonly<Record<TraceMapping['tasks']['timeUnit'], number>> = {
  ns: 1e-9,
  us: 1e-6,
  ms: 1e-3,
  s: 1,
  min: 60,
  h: 3600,
};
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

/** A task as read, times in trace seconds; `endS` null when it never ended. */
interface RawTask {
  /** Groups tasks into a job: the job column's value, or unique per row without one. */
  readonly job: string;
  /** The job's name when valid (the id column's value, else the job column's). */
  readonly name: string;
  readonly task: string;
  readonly line: number;
  readonly arrivalS: number;
  /** When its run time starts (arrival, or its SCHEDULE event). */
  readonly fromS: number;
  readonly runS: number | null;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly priority: number;
}

function scaleCores(v: number, m: { multiply: number; round: 'ceil' | 'floor' | 'round' }): number {
  const x = v * m.multiply;
  // 1e-9 absorbs binary noise such as 0.001 × 12000 = 12.000000000000002.
  return m.round === 'ceil'
    ? Math.ceil(x - 1e-9)
    : m.round === 'floor'
      ? Math.floor(x + 1e-9)
      : Math.round(x);
}

/** Reads the task or pod file into raw tasks. */
function readTasks(
  file: string,
  text: string,
  m: TraceMapping['tasks'],
): { tasks: RawTask[]; lastS: number; neverRan: number } {
  const t = new TraceTable(file, text, m.separator, m.header, m.columns);
  const unit = SECONDS[m.timeUnit];
  const c = m.columns;
  const coresOf = (row: number): number =>
    Math.max(m.cores.min, scaleCores(t.number(row, 'cores', { min: 0 }), m.cores));
  const memoryOf = (row: number): number =>
    Math.round(t.number(row, 'memory', { min: 0 }) * m.memory.multiply);
  let lastS = 0;
  if (m.events === undefined) {
    const tasks: RawTask[] = [];
    for (let r = 0; r < t.rows; r++) {
      const arrivalS = t.number(r, 'arrival', { min: 0 }) * unit;
      let runS: number | null;
      if (c.duration !== undefined) runS = t.number(r, 'duration', { min: 0 }) * unit;
      else if (t.isEmpty(r, 'end')) runS = null;
      else runS = t.number(r, 'end', { min: arrivalS / unit, minLabel: 'arrival' }) * unit - arrivalS;
      lastS = Math.max(lastS, arrivalS + (runS ?? 0));
      const line = t.line(r);
      tasks.push({
        job: c.job !== undefined ? t.text(r, 'job') : `\u0000${line}`,
        name: c.job !== undefined ? t.text(r, 'job') : c.id !== undefined ? t.text(r, 'id') : '',
        task: c.task !== undefined ? t.text(r, 'task') : '',
        line,
        arrivalS,
        fromS: arrivalS,
        runS,
        cores: coresOf(r),
        memoryBytes: memoryOf(r),
        priority: c.priority !== undefined && !t.isEmpty(r, 'priority') ? t.number(r, 'priority') : 0,
      });
    }
    return { tasks, lastS, neverRan: 0 };
  }
  const ev = m.events;
  const is = (codes: readonly (number | string)[], v: string): boolean => codes.some((k) => String(k) === v);
  interface Life {
    line: number;
    submitS?: number;
    scheduleS?: number;
    endS?: number;
    cores?: number;
    memoryBytes?: number;
    priority?: number;
  }
  const lives = new Map<string, Life & { job: string; task: string }>();
  for (let r = 0; r < t.rows; r++) {
    const atS = t.number(r, 'arrival', { min: 0 }) * unit;
    lastS = Math.max(lastS, atS);
    const job = t.text(r, 'job');
    const task = c.task !== undefined ? t.text(r, 'task') : '0';
    const key = `${job}\u0000${task}`;
    let life = lives.get(key);
    if (life === undefined) lives.set(key, (life = { job, task, line: t.line(r) }));
    const code = t.text(r, 'event');
    if (is(ev.submit, code)) life.submitS ??= atS;
    else if (is(ev.schedule, code)) life.scheduleS ??= atS;
    else if (is(ev.end, code)) {
      const from = ev.runTime === 'schedule-to-end' ? life.scheduleS : (life.submitS ?? life.scheduleS);
      if (from !== undefined && life.endS === undefined) life.endS = atS;
    } else continue;
    // Requests may be missing on some events of a task: take the first given.
    if (life.cores === undefined && !t.isEmpty(r, 'cores')) life.cores = coresOf(r);
    if (life.memoryBytes === undefined && !t.isEmpty(r, 'memory')) life.memoryBytes = memoryOf(r);
    if (life.priority === undefined && c.priority !== undefined && !t.isEmpty(r, 'priority'))
      life.priority = t.number(r, 'priority');
  }
  const tasks: RawTask[] = [];
  let neverRan = 0;
  for (const life of lives.values()) {
    const arrivalS = life.submitS ?? life.scheduleS;
    const fromS = ev.runTime === 'schedule-to-end' ? life.scheduleS : arrivalS;
    if (arrivalS === undefined || fromS === undefined) {
      neverRan++;
      continue;
    }
    tasks.push({
      job: life.job,
      name: life.job,
      task: life.task,
      line: life.line,
      arrivalS,
      fromS,
      runS: life.endS === undefined ? null : life.endS - fromS,
      cores: life.cores ?? m.cores.min,
      memoryBytes: life.memoryBytes ?? 0,
      priority: life.priority ?? 0,
    });
  }
  return { tasks, lastS, neverRan };
}

/** Reads the node file: one node per row, or per first add event of an id. */
function readNodes(file: string, text: string, m: NonNullable<TraceMapping['nodes']>, tiny: TinyNodes) {
  const t = new TraceTable(file, text, m.separator, m.header, m.columns);
  const nodes: FleetWorker[] = [];
  const seen = new Set<string>();
  let tinyCount = 0;
  for (let r = 0; r < t.rows; r++) {
    if (m.events !== undefined && !m.events.add.some((k) => String(k) === t.text(r, 'event'))) continue;
    const id = t.text(r, 'id');
    if (seen.has(id)) {
      if (m.events !== undefined) continue;
      throw new AppError('VALIDATION_FAILED', `${file} line ${t.line(r)}: node ${id} appears twice`);
    }
    seen.add(id);
    const cores = t.isEmpty(r, 'cores') ? 0 : scaleCores(t.number(r, 'cores', { min: 0 }), m.cores);
    if (cores < 1) {
      tinyCount++;
      if (tiny === 'drop') continue;
    }
    nodes.push({
      id,
      cores: Math.max(1, cores),
      memoryBytes: Math.round(t.number(r, 'memory', { min: 0 }) * m.memory.multiply),
    });
  }
  return { nodes, tinyCount, rows: seen.size };
}

/** A valid, unique API name: `preferred` when valid, else `<fallback>`, then `-2`, `-3`, … */
function uniqueName(preferred: string, fallback: string, used: Set<string>): string {
  let name = NAME_RE.test(preferred) && !used.has(preferred) ? preferred : fallback;
  for (let k = 2; used.has(name); k++) name = `${fallback}-${k}`;
  used.add(name);
  return name;
}

/**
 * Reads the files (recording each by name and SHA-256) and builds the workload.
 * @throws AppError naming the option for a missing file, and file, line and column for a bad field
 */
export async function loadMappedTrace(opts: MappedTraceOptions): Promise<Workload> {
  const tasks = await readTraceInput('tasks', opts.tasksFile, '--trace-file');
  const nodes =
    opts.nodesFile !== undefined ? await readTraceInput('nodes', opts.nodesFile, '--node-file') : undefined;
  const inputs = [
    ...(nodes ? [nodes.input] : []),
    tasks.input,
    ...(opts.mappingInput ? [opts.mappingInput] : []),
  ];
  return mappedWorkload(tasks.text, nodes?.text, opts, inputs);
}

/** {@link loadMappedTrace} on file contents already read. @throws as loadMappedTrace */
export function mappedWorkload(
  tasksText: string,
  nodesText: string | undefined,
  opts: MappedTraceOptions,
  inputs: readonly TraceInput[] = [],
): Workload {
  if (!(Number.isFinite(opts.compression) && opts.compression >= 1)) {
    throw new RangeError(`trace: compression must be a number >= 1 (got ${String(opts.compression)})`);
  }
  for (const [field, v] of [
    ['nodeSample', opts.nodeSample],
    ['podSample', opts.podSample],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0 && (v <= 1 || Number.isSafeInteger(v)))) {
      throw new RangeError(
        `trace: ${field} must be a fraction in (0, 1] or a whole number of rows (got ${String(v)})`,
      );
    }
  }
  const openEnded = opts.openEnded ?? DEFAULT_OPEN_ENDED;
  checkOpenEnded(openEnded);
  const tiny = opts.tinyNodes ?? DEFAULT_TINY_NODES;
  const m = opts.mapping;
  const tasksName = path.basename(opts.tasksFile);
  const read = readTasks(tasksName, tasksText, m.tasks);
  let fleet: FleetWorker[] | undefined;
  let tinyCount = 0;
  if (nodesText !== undefined) {
    if (m.nodes === undefined)
      throw new AppError('VALIDATION_FAILED', `--node-file: the mapping has no nodes section`);
    const n = readNodes(path.basename(opts.nodesFile ?? 'nodes'), nodesText, m.nodes, tiny);
    tinyCount = n.tinyCount;
    fleet = sampleIndices(n.nodes.length, opts.nodeSample ?? 1, opts.seed).map((i) => n.nodes[i]!);
  }
  // Open-ended tasks, then jobs (tasks of one job value, in file order).
  let openCount = 0;
  const byJob = new Map<
    string,
    { name: string; arrivalS: number; priority: number; line: number; tasks: (RawTask & { runS: number })[] }
  >();
  let droppedTasks = 0;
  for (const raw of read.tasks) {
    let runS = raw.runS;
    if (runS === null) {
      openCount++;
      runS =
        openEnded.kind === 'drop'
          ? null
          : openEnded.kind === 'until-end'
            ? read.lastS - raw.fromS
            : openEnded.seconds;
    }
    if (runS === null) {
      droppedTasks++;
      continue;
    }
    let job = byJob.get(raw.job);
    if (job === undefined)
      byJob.set(
        raw.job,
        (job = {
          name: raw.name,
          arrivalS: raw.arrivalS,
          priority: raw.priority,
          line: raw.line,
          tasks: [],
        }),
      );
    job.arrivalS = Math.min(job.arrivalS, raw.arrivalS);
    job.priority = Math.max(job.priority, raw.priority);
    job.tasks.push({ ...raw, runS });
  }
  const grouped = [...byJob.entries()];
  let zeroS = 0;
  if (m.tasks.startAt === 'first-arrival') {
    zeroS = Infinity;
    for (const [, j] of grouped) zeroS = Math.min(zeroS, j.arrivalS);
  }
  let kept = sampleIndices(grouped.length, opts.podSample ?? 1, opts.seed ^ 0x5bd1e995).map(
    (i) => grouped[i]!,
  );
  kept.sort((a, b) => a[1].arrivalS - b[1].arrivalS || a[1].line - b[1].line);
  if (opts.limitPods !== undefined) kept = kept.slice(0, opts.limitPods);
  const image = opts.image ?? OPENB_DEFAULT_IMAGE;
  const used = new Set<string>();
  const jobs: WorkloadJob[] = kept.map(([, j]) => {
    const taskNames = new Set<string>();
    const tasks: WorkloadTask[] = j.tasks.map((t, k) => {
      const runSeconds = t.runS / opts.compression;
      return {
        name: uniqueName(t.task === '' ? 'task' : `t${t.task}`, `t${k}`, taskNames),
        cores: t.cores,
        memoryBytes: t.memoryBytes,
        runSeconds,
        image,
        command: ['sleep', String(runSeconds)],
      };
    });
    return {
      // One row per job: openb's pod-<line>; grouped rows: job-<line of its first row>.
      name: uniqueName(j.name, `${m.tasks.columns.job === undefined ? 'pod' : 'job'}-${j.line}`, used),
      arrivalMs: Math.round(((j.arrivalS - zeroS) * 1000) / opts.compression),
      priority: j.priority,
      tasks,
    };
  });
  jobs.sort((a, b) => a.arrivalMs - b.arrivalMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    source: {
      kind: 'trace',
      params: {
        trace: opts.format,
        tasksFile: opts.tasksFile,
        nodesFile: opts.nodesFile ?? null,
        compression: opts.compression,
        nodeSample: opts.nodeSample ?? 1,
        podSample: opts.podSample ?? 1,
        limitPods: opts.limitPods ?? null,
        openEnded: describeOpenEnded(openEnded),
        openEndedTasks: openCount,
        droppedTasks,
        neverRanTasks: read.neverRan,
        tinyNodes: tiny,
        tinyNodeCount: tinyCount,
        image,
        nodes: fleet?.length ?? null,
        jobs: jobs.length,
        tasks: jobs.reduce((n, j) => n + j.tasks.length, 0),
        seed: opts.seed,
      },
      seed: opts.seed,
      inputs,
    },
    jobs,
    ...(fleet !== undefined ? { fleet } : {}),
  };
}

/**
 * The column mapping that tells the trace reader (mapped-trace.ts) how to read a task or pod
 * file and a node file: columns by name (with a header row) or by 0-based position, the
 * separator, the time unit, resource scaling, grouping of tasks into jobs, and run time from a
 * duration column, an end column, or from event rows (submit / schedule / end). A mapping is a
 * YAML or JSON file (`--trace-mapping`) or a preset (`--trace-format`): `openb` and
 * `google-task-events` (the 2011 Google cluster-data `task_events` and `machine_events` tables).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError } from '../../core/errors/index.js';
import { inputRecord } from './trace-input.js';
import type { TraceInput } from '../workload.js';

const column = z.union([z.string().min(1), z.number().int().min(0)]);
const codes = z.array(z.union([z.number(), z.string()])).min(1);

const fileFormat = {
  /** `,` (default), `\t`, `;`, … or `whitespace` (runs of spaces and tabs). */
  separator: z.string().min(1).default(','),
  /** The first row names the columns. Without it, columns are positions. */
  header: z.boolean().default(true),
};

const tasksSchema = z.strictObject({
  ...fileFormat,
  /** Unit of every time column. */
  timeUnit: z.enum(['ns', 'us', 'ms', 's', 'min', 'h']).default('s'),
  /** `zero`: times as they are; `first-arrival`: the first arrival becomes time 0. */
  startAt: z.enum(['zero', 'first-arrival']).default('zero'),
  columns: z.strictObject({
    /** When the row's task arrives (for event rows: the event's time). */
    arrival: column,
    cores: column,
    memory: column,
    /** When it ended (run time = end − arrival); an empty field is an open-ended task. */
    end: column.optional(),
    /** How long it ran. */
    duration: column.optional(),
    /** Name of the row's job when every row is its own job. */
    id: column.optional(),
    /** Rows with the same value are the tasks of one job (all placed together or not at all). */
    job: column.optional(),
    /** The task's index within its job (event rows: with `job`, names the task). */
    task: column.optional(),
    priority: column.optional(),
    /** The event type (event rows). */
    event: column.optional(),
  }),
  /** cores = round(value × multiply), at least `min`. */
  cores: z
    .strictObject({
      multiply: z.number().positive().default(1),
      round: z.enum(['ceil', 'floor', 'round']).default('ceil'),
      min: z.number().int().min(1).default(1),
    })
    .default({ multiply: 1, round: 'ceil', min: 1 }),
  /** bytes = round(value × multiply). */
  memory: z.strictObject({ multiply: z.number().positive().default(1) }).default({ multiply: 1 }),
  /** Event rows: which event codes submit, schedule and end a task, and how run time is measured. */
  events: z
    .strictObject({
      submit: codes,
      schedule: codes,
      end: codes,
      runTime: z.enum(['schedule-to-end', 'submit-to-end']).default('schedule-to-end'),
    })
    .optional(),
});

const nodesSchema = z.strictObject({
  ...fileFormat,
  columns: z.strictObject({ id: column, cores: column, memory: column, event: column.optional() }),
  cores: z
    .strictObject({
      multiply: z.number().positive().default(1),
      round: z.enum(['ceil', 'floor', 'round']).default('floor'),
    })
    .default({ multiply: 1, round: 'floor' }),
  memory: z.strictObject({ multiply: z.number().positive().default(1) }).default({ multiply: 1 }),
  /** Event rows: the codes that add a node (its first such row counts; others are ignored). */
  events: z.strictObject({ add: codes }).optional(),
});

/** A column mapping, as checked. */
export const traceMappingSchema = z.strictObject({ tasks: tasksSchema, nodes: nodesSchema.optional() });
/** A checked column mapping (defaults filled in). */
export type TraceMapping = z.infer<typeof traceMappingSchema>;
/** What a mapping file may say (defaults optional). */
export type TraceMappingInput = z.input<typeof traceMappingSchema>;

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Normalised resources of the Google preset: 1.0 CPU = 32 cores and 1.0 memory = 64 GiB (the
 * trace scales both to its largest machine and does not say its size); `--cpu-scale` and
 * `--memory-scale` change them.
 */
export const GOOGLE_CORES_PER_UNIT = 32;
export const GOOGLE_BYTES_PER_UNIT = 64 * GIB;

/** The presets of `--trace-format`. */
export const TRACE_PRESETS = {
  /** The openb CSVs: the same numbers as the openb loader (openb-trace.ts). */
  openb: {
    tasks: {
      columns: {
        id: 'name',
        cores: 'cpu_milli',
        memory: 'memory_mib',
        arrival: 'creation_time',
        end: 'deletion_time',
      },
      cores: { multiply: 0.001, round: 'ceil' },
      memory: { multiply: MIB },
    },
    nodes: {
      columns: { id: 'sn', cores: 'cpu_milli', memory: 'memory_mib' },
      cores: { multiply: 0.001, round: 'floor' },
      memory: { multiply: MIB },
    },
  },
  /**
   * 2011 cluster-data `task_events` (no header): 0 timestamp µs, 1 missing info, 2 job ID, 3 task
   * index, 4 machine ID, 5 event type (0 SUBMIT, 1 SCHEDULE, 2 EVICT, 3 FAIL, 4 FINISH, 5 KILL,
   * 6 LOST, 7 UPDATE_PENDING, 8 UPDATE_RUNNING), 6 user, 7 scheduling class, 8 priority, 9 CPU
   * request, 10 memory request, 11 disk request, 12 different-machine constraint. Nodes from
   * `machine_events`: 0 timestamp, 1 machine ID, 2 event type (0 ADD), 3 platform, 4 CPUs, 5 memory.
   */
  'google-task-events': {
    tasks: {
      header: false,
      timeUnit: 'us',
      startAt: 'first-arrival',
      columns: { arrival: 0, job: 2, task: 3, event: 5, priority: 8, cores: 9, memory: 10 },
      cores: { multiply: GOOGLE_CORES_PER_UNIT, round: 'ceil', min: 1 },
      memory: { multiply: GOOGLE_BYTES_PER_UNIT },
      events: { submit: [0], schedule: [1], end: [2, 3, 4, 5, 6], runTime: 'schedule-to-end' },
    },
    nodes: {
      header: false,
      columns: { id: 1, event: 2, cores: 4, memory: 5 },
      cores: { multiply: GOOGLE_CORES_PER_UNIT, round: 'floor' },
      memory: { multiply: GOOGLE_BYTES_PER_UNIT },
      events: { add: [0] },
    },
  },
} as const satisfies Record<string, TraceMappingInput>;

/** A preset's name. */
export type TracePreset = keyof typeof TRACE_PRESETS;

/**
 * Checks a mapping.
 * @param where names the source in errors (`--trace-mapping m.yaml`, `--trace-format openb`)
 * @throws AppError `VALIDATION_FAILED`: `<where>: tasks.columns.cores: …`
 */
export function checkTraceMapping(value: unknown, where: string): TraceMapping {
  const parsed = traceMappingSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new AppError('VALIDATION_FAILED', `${where}: ${at}: ${issue.message}`);
  }
  const m = parsed.data;
  const c = m.tasks.columns;
  if (m.tasks.events === undefined && c.end === undefined && c.duration === undefined) {
    throw new AppError('VALIDATION_FAILED', `${where}: tasks.columns: give end, duration or tasks.events`);
  }
  if (m.tasks.events !== undefined && (c.event === undefined || c.job === undefined)) {
    throw new AppError('VALIDATION_FAILED', `${where}: tasks.events needs tasks.columns.event and .job`);
  }
  return m;
}

/** A preset by name. @throws AppError naming `--trace-format` and the presets */
export function presetMapping(name: string): TraceMapping {
  if (!Object.hasOwn(TRACE_PRESETS, name)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `--trace-format: "${name}" is not one of ${Object.keys(TRACE_PRESETS).join(', ')}`,
    );
  }
  return checkTraceMapping(TRACE_PRESETS[name as TracePreset], `--trace-format ${name}`);
}

/**
 * Reads a YAML or JSON mapping file.
 * @throws AppError naming `--trace-mapping` for a missing file, bad YAML or a bad mapping
 */
export async function readTraceMapping(file: string): Promise<{ mapping: TraceMapping; input: TraceInput }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(
      'VALIDATION_FAILED',
      `--trace-mapping: ${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`,
    );
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new AppError(
      'VALIDATION_FAILED',
      `--trace-mapping ${file}: not YAML or JSON (${(err as Error).message})`,
    );
  }
  return {
    mapping: checkTraceMapping(value, `--trace-mapping ${file}`),
    input: inputRecord('mapping', file, text),
  };
}

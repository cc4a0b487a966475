/**
 * The trace shape's workload from its flags: the openb folder (`--trace-dir`) or files
 * (`--trace-file`, `--node-file`), a preset (`--trace-format openb|google-task-events`) or a
 * column mapping (`--trace-mapping`), resource scales, and what to do with open-ended tasks and
 * nodes under one core. Every bad value is refused naming its flag.
 */
import { parseMemorySize } from '../core/job/memory-size.js';
import { AppError } from '../core/errors/index.js';
import { loadMappedTrace } from '../stress-client/trace/mapped-trace.js';
import { loadOpenbTrace, OPENB_DEFAULT_DIR } from '../stress-client/trace/openb-trace.js';
import { presetMapping, readTraceMapping, type TraceMapping } from '../stress-client/trace/trace-mapping.js';
import { parseOpenEnded, parseTinyNodes } from '../stress-client/trace/trace-policies.js';
import type { TraceInput, Workload } from '../stress-client/workload.js';
import { badFlag, numberOption, type RawOptions } from './stress-flags.js';

const text = (o: RawOptions, key: string): string | undefined =>
  typeof o[key] === 'string' ? o[key] : undefined;

/** The mapping with `--cpu-scale` / `--memory-scale` over the CPU and memory columns' multipliers. */
function scaled(mapping: TraceMapping, o: RawOptions): TraceMapping {
  const cpu = numberOption(o, 'cpuScale', '--cpu-scale');
  if (cpu !== undefined && !(cpu > 0)) throw badFlag('--cpu-scale', o['cpuScale'], 'a number > 0');
  const memText = text(o, 'memoryScale');
  const mem = memText === undefined ? undefined : parseMemorySize(memText);
  if (memText !== undefined && !(mem !== undefined && mem > 0)) {
    throw badFlag('--memory-scale', memText, 'a size such as 64g or 1m');
  }
  if (cpu === undefined && mem === undefined) return mapping;
  const cores = <T extends { multiply: number }>(c: T): T =>
    cpu === undefined ? c : { ...c, multiply: cpu };
  const memory = <T extends { multiply: number }>(c: T): T =>
    mem === undefined ? c : { ...c, multiply: mem };
  return {
    ...mapping,
    tasks: { ...mapping.tasks, cores: cores(mapping.tasks.cores), memory: memory(mapping.tasks.memory) },
    ...(mapping.nodes !== undefined
      ? {
          nodes: {
            ...mapping.nodes,
            cores: cores(mapping.nodes.cores),
            memory: memory(mapping.nodes.memory),
          },
        }
      : {}),
  };
}

/**
 * The workload of `stress trace` / `compare trace`.
 * @throws AppError naming the flag (or the file, line and column of a bad field)
 */
export async function traceWorkload(o: RawOptions, seed: number): Promise<Workload> {
  const limit = numberOption(o, 'limitPods', '--limit-pods');
  const nodeSample = numberOption(o, 'nodeSample', '--node-sample');
  const podSample = numberOption(o, 'podSample', '--pod-sample');
  const compression = numberOption(o, 'compression', '--compression') ?? 1;
  const openEndedText = text(o, 'openEnded');
  const tinyText = text(o, 'tinyNodes');
  const common = {
    compression,
    seed,
    ...(nodeSample !== undefined ? { nodeSample } : {}),
    ...(podSample !== undefined ? { podSample } : {}),
    ...(limit !== undefined ? { limitPods: limit } : {}),
    ...(openEndedText !== undefined ? { openEnded: parseOpenEnded(openEndedText) } : {}),
    ...(tinyText !== undefined ? { tinyNodes: parseTinyNodes(tinyText) } : {}),
  };
  const format = text(o, 'traceFormat');
  const mappingFile = text(o, 'traceMapping');
  const tasksFile = text(o, 'traceFile');
  const nodesFile = text(o, 'nodeFile');
  if (format !== undefined && mappingFile !== undefined) {
    throw new AppError('VALIDATION_FAILED', '--trace-format and --trace-mapping: give one of them');
  }
  const scales = o['cpuScale'] !== undefined || o['memoryScale'] !== undefined;
  if (mappingFile === undefined && (format ?? 'openb') === 'openb' && !scales) {
    return loadOpenbTrace({
      dir: text(o, 'traceDir') ?? OPENB_DEFAULT_DIR,
      ...(tasksFile !== undefined ? { podFile: tasksFile } : {}),
      ...(nodesFile !== undefined ? { nodeFile: nodesFile } : {}),
      ...common,
    });
  }
  if (o['traceDir'] !== undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      '--trace-dir names the openb folder; with a mapping give --trace-file',
    );
  }
  let mapping: TraceMapping;
  let mappingInput: TraceInput | undefined;
  if (mappingFile !== undefined) ({ mapping, input: mappingInput } = await readTraceMapping(mappingFile));
  else mapping = presetMapping(format ?? 'openb');
  if (tasksFile === undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      `--trace-file: give the task or pod file to read with ${mappingFile !== undefined ? `--trace-mapping ${mappingFile}` : `--trace-format ${format ?? 'openb'}`}`,
    );
  }
  return loadMappedTrace({
    mapping: scaled(mapping, o),
    format: mappingFile ?? format ?? 'openb',
    tasksFile,
    nodesFile,
    mappingInput,
    ...common,
  });
}

/**
 * @module The trace shape's flags: presets and mapping files, scales, policies and file options,
 * each bad combination or value refused naming its flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AppError } from '../../../core/errors/index.js';
import { traceWorkload } from '../../../cli/stress-trace.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'traces');
const TASKS = join(FIXTURES, 'google-task-events.csv');
const MACHINES = join(FIXTURES, 'google-machine-events.csv');
const GIB = 1024 ** 3;

const refused = (pattern: RegExp) => (err: unknown) =>
  err instanceof AppError && err.code === 'VALIDATION_FAILED' && pattern.test(err.message);

test('google-task-events with scales and policies from flags; recorded in the source', async () => {
  const w = await traceWorkload(
    {
      traceFormat: 'google-task-events',
      traceFile: TASKS,
      nodeFile: MACHINES,
      cpuScale: '8',
      memoryScale: '16g',
      openEnded: '10m',
      tinyNodes: 'round-up',
    },
    1,
  );
  assert.deepEqual(
    w.fleet?.map((n) => [n.id, n.cores, Number((n.memoryBytes / GIB).toFixed(4))]),
    [
      ['5', 4, 4],
      ['6', 4, 4],
      ['7', 1, 0.48],
    ],
  );
  const open = w.jobs.find((j) => j.name === '3418314')!;
  assert.deepEqual([open.tasks[0]!.cores, open.tasks[0]!.runSeconds], [1, 600]);
  assert.equal(w.source.params.trace, 'google-task-events');
  assert.equal(w.source.params.openEnded, '600s');
  assert.equal(w.source.params.tinyNodes, 'round-up');
  assert.equal(w.source.inputs?.length, 2);
});

test('bad combinations and values name the flag', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { traceFormat: 'google-task-events' },
      /^--trace-file: give the task or pod file to read with --trace-format google-task-events$/,
    ],
    [
      { traceFormat: 'openb', traceMapping: 'm.yaml' },
      /^--trace-format and --trace-mapping: give one of them$/,
    ],
    [{ traceFormat: 'borg' }, /^--trace-format: "borg" is not one of openb, google-task-events$/],
    [
      { traceFormat: 'google-task-events', traceDir: '/x', traceFile: TASKS },
      /^--trace-dir names the openb folder/,
    ],
    [
      { traceFormat: 'google-task-events', traceFile: TASKS, cpuScale: '0' },
      /^--cpu-scale: "0" is not a number > 0$/,
    ],
    [
      { traceFormat: 'google-task-events', traceFile: TASKS, memoryScale: 'lots' },
      /^--memory-scale: "lots" is not a size/,
    ],
    [{ tinyNodes: 'keep' }, /^--tiny-nodes: "keep" is not drop or round-up$/],
    [
      { traceFile: '/nowhere/pods.csv', traceDir: '/nowhere' },
      /^--(trace-file|trace-dir): \/nowhere\/\S+ does not exist$/,
    ],
    [
      { traceMapping: '/nowhere/m.yaml', traceFile: TASKS },
      /^--trace-mapping: \/nowhere\/m\.yaml does not exist$/,
    ],
  ];
  for (const [o, pattern] of cases) {
    await assert.rejects(traceWorkload(o, 1), refused(pattern), JSON.stringify(o));
  }
});

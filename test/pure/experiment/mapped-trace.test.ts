/**
 * @module The mapping-driven trace reader: the Google task-events preset on a fixture in the 2011
 * format (events → run times, tasks → jobs, normalised resources scaled, machines from ADD
 * events), the openb preset against the openb loader on the real trace, mapping files (names or
 * positions, separators, units, durations), and errors naming the file, line, column or option.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../core/errors/index.js';
import { loadMappedTrace, mappedWorkload } from '../../../stress-client/trace/mapped-trace.js';
import {
  loadOpenbTrace,
  OPENB_DEFAULT_DIR,
  OPENB_NODE_FILE,
  OPENB_POD_FILE,
} from '../../../stress-client/trace/openb-trace.js';
import {
  checkTraceMapping,
  presetMapping,
  readTraceMapping,
} from '../../../stress-client/trace/trace-mapping.js';
import { simulate } from '../../../stress-client/virtual-time/simulate.js';
import type { Workload } from '../../../stress-client/workload.js';

const GIB = 1024 ** 3;
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'traces');
const TASKS = path.join(FIXTURES, 'google-task-events.csv');
const MACHINES = path.join(FIXTURES, 'google-machine-events.csv');

function isValidation(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) =>
    err instanceof AppError && err.code === 'VALIDATION_FAILED' && pattern.test(err.message);
}

/** Jobs as [name, arrivalMs, priority, [task, cores, GiB, runSeconds]…]. */
function shape(w: Workload): unknown[] {
  return w.jobs.map((j) => [
    j.name,
    j.arrivalMs,
    j.priority,
    j.tasks.map((t) => [t.name, t.cores, t.memoryBytes / GIB, Number(t.runSeconds.toFixed(6))]),
  ]);
}

describe('google-task-events preset', () => {
  const base = {
    mapping: presetMapping('google-task-events'),
    format: 'google-task-events',
    tasksFile: TASKS,
    nodesFile: MACHINES,
    compression: 1,
    seed: 1,
  };

  test('events become tasks with run times, tasks of a job one job, resources scaled', async () => {
    const w = await loadMappedTrace(base);
    assert.deepEqual(shape(w), [
      // SUBMIT at 600 s is time 0; schedule→finish 300 s, schedule→kill 99 s; 0.125 CPU × 32 cores.
      [
        '3418309',
        0,
        9,
        [
          ['t0', 4, 4, 300],
          ['t1', 4, 2, 99],
        ],
      ],
      // Requests missing on its SUBMIT, taken from its SCHEDULE.
      ['3418316', 50_000, 0, [['t0', 1, 0.5, 350]]],
      // Never ends: runs from its SCHEDULE (700.2 s) until the trace's last event (1,000 s).
      ['3418314', 100_000, 0, [['t0', 2, 1, 299.8]]],
    ]);
    // Machines from their first ADD; machine 7 (0.01 × 32 cores) is under one core and dropped.
    assert.deepEqual(w.fleet, [
      { id: '5', cores: 16, memoryBytes: 16 * GIB },
      { id: '6', cores: 16, memoryBytes: 16 * GIB },
    ]);
    assert.equal(w.source.params.openEndedTasks, 1);
    assert.equal(w.source.params.neverRanTasks, 1); // killed before it was scheduled
    assert.equal(w.source.params.tinyNodeCount, 1);
    assert.deepEqual(
      w.source.inputs?.map((i) => [i.role, i.file, i.sha256.length]),
      [
        ['nodes', 'google-machine-events.csv', 64],
        ['tasks', 'google-task-events.csv', 64],
      ],
    );
  });

  test('open-ended drop, round-up tiny machines, other scales; the workload replays', async () => {
    const mapping = presetMapping('google-task-events');
    const w = await loadMappedTrace({
      ...base,
      mapping: {
        ...mapping,
        tasks: { ...mapping.tasks, cores: { ...mapping.tasks.cores, multiply: 64 } },
        nodes: { ...mapping.nodes!, cores: { ...mapping.nodes!.cores, multiply: 64 } },
      },
      openEnded: { kind: 'drop' },
      tinyNodes: 'round-up',
    });
    assert.deepEqual(
      w.jobs.map((j) => [j.name, j.tasks.map((t) => t.cores)]),
      [
        ['3418309', [8, 8]],
        ['3418316', [2]],
      ],
    );
    assert.deepEqual(
      w.fleet?.map((n) => [n.id, n.cores]),
      [
        ['5', 32],
        ['6', 32],
        ['7', 1],
      ],
    );
    const r = simulate(w, w.fleet ?? [], 'best-fit', { nowEpochMs: 0 });
    assert.ok(r.jobs.every((j) => j.state === 'finished'));
    assert.deepEqual(r.source.inputs, w.source.inputs);
  });
});

describe('openb preset = the openb loader', () => {
  test('the whole real trace: the same fleet and jobs (tasks named task, not pod)', async () => {
    const viaMapping = await loadMappedTrace({
      mapping: presetMapping('openb'),
      format: 'openb',
      tasksFile: path.join(OPENB_DEFAULT_DIR, OPENB_POD_FILE),
      nodesFile: path.join(OPENB_DEFAULT_DIR, OPENB_NODE_FILE),
      compression: 3,
      seed: 4,
      nodeSample: 0.5,
      podSample: 0.5,
    });
    const openb = await loadOpenbTrace({
      dir: OPENB_DEFAULT_DIR,
      compression: 3,
      seed: 4,
      nodeSample: 0.5,
      podSample: 0.5,
    });
    assert.deepEqual(viaMapping.fleet, openb.fleet);
    assert.equal(viaMapping.jobs.length, openb.jobs.length);
    assert.deepEqual(
      viaMapping.jobs.map((j) => ({ ...j, tasks: j.tasks.map((t) => ({ ...t, name: 'pod' })) })),
      openb.jobs,
    );
    assert.deepEqual(
      viaMapping.source.inputs?.map((i) => i.sha256),
      openb.source.inputs?.map((i) => i.sha256),
    );
  });
});

describe('mapping files', () => {
  test('positions, tabs, milliseconds, a duration column and a job column (YAML)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mapping-'));
    try {
      const file = path.join(dir, 'm.yaml');
      await writeFile(
        file,
        [
          'tasks:',
          '  separator: "\\t"',
          '  header: false',
          '  timeUnit: ms',
          '  columns: { job: 0, task: 1, arrival: 2, duration: 3, cores: 4, memory: 5 }',
          '  memory: { multiply: 1048576 }',
        ].join('\n'),
      );
      const { mapping, input } = await readTraceMapping(file);
      assert.equal(input.role, 'mapping');
      const text = ['a\t0\t1000\t5000\t2\t512', 'a\t1\t1500\t1000\t1\t256', 'b\t0\t0\t250\t4\t0', ''].join(
        '\n',
      );
      const w = mappedWorkload(text, undefined, {
        mapping,
        format: file,
        tasksFile: 'x.tsv',
        compression: 1,
        seed: 1,
      });
      assert.deepEqual(shape(w), [
        ['b', 0, 0, [['t0', 4, 0, 0.25]]],
        [
          'a',
          1000,
          0,
          [
            ['t0', 2, 0.5, 5],
            ['t1', 1, 0.25, 1],
          ],
        ],
      ]);
      assert.equal(w.fleet, undefined);
      await assert.rejects(
        readTraceMapping(path.join(dir, 'none.yaml')),
        isValidation(/^--trace-mapping: .*none\.yaml does not exist$/),
      );
      await writeFile(file, 'tasks: { columns: { arrival: t } }');
      await assert.rejects(
        readTraceMapping(file),
        isValidation(/^--trace-mapping .*m\.yaml: tasks\.columns\.cores: /),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('bad mappings and bad fields are refused by option, file, line and column', () => {
    assert.throws(
      () => presetMapping('alibaba'),
      isValidation(/--trace-format: "alibaba" is not one of openb, google-task-events/),
    );
    assert.throws(
      () => checkTraceMapping({ tasks: { columns: { arrival: 'a', cores: 'c', memory: 'm' } } }, 'here'),
      isValidation(/^here: tasks\.columns: give end, duration or tasks\.events$/),
    );
    const mapping = checkTraceMapping(
      { tasks: { columns: { id: 'n', arrival: 'at', end: 'end', cores: 'cpu', memory: 'mem' } } },
      'm',
    );
    const opts = { mapping, format: 'm', tasksFile: '/x/pods.csv', compression: 1, seed: 1 };
    assert.throws(
      () => mappedWorkload('n,at,end,cpu,mem\np,1,2,x,3\n', undefined, opts),
      isValidation(/^pods\.csv line 2, column cpu: must be a number \(got "x"\)$/),
    );
    assert.throws(
      () => mappedWorkload('n,at,end,cpu,mem\np,5,2,1,3\n', undefined, opts),
      isValidation(/^pods\.csv line 2, column end: must be >= arrival \(5\)/),
    );
    assert.throws(
      () => mappedWorkload('n,at,cpu,mem\np,1,1,3\n', undefined, opts),
      isValidation(/^pods\.csv line 1: missing column\(s\) end \(have n, at, cpu, mem\)$/),
    );
    const noHeader = checkTraceMapping(
      { tasks: { header: false, columns: { arrival: 'at', duration: 1, cores: 2, memory: 3 } } },
      'm',
    );
    assert.throws(
      () => mappedWorkload('1,2,3,4\n', undefined, { ...opts, mapping: noHeader }),
      isValidation(/columns named at need a header row/),
    );
    // An empty end is an open-ended pod: until the trace's last time by default.
    const w = mappedWorkload('n,at,end,cpu,mem\np,1,,1,0\nq,2,9,1,0\n', undefined, opts);
    assert.deepEqual(
      w.jobs.map((j) => [j.name, j.tasks[0]!.runSeconds]),
      [
        ['p', 8],
        ['q', 7],
      ],
    );
  });

  test('a missing trace or node file is one line naming its option', async () => {
    const opts = { mapping: presetMapping('google-task-events'), format: 'g', compression: 1, seed: 1 };
    await assert.rejects(
      loadMappedTrace({ ...opts, tasksFile: '/nowhere/tasks.csv' }),
      isValidation(/^--trace-file: \/nowhere\/tasks\.csv does not exist$/),
    );
    await assert.rejects(
      loadMappedTrace({ ...opts, tasksFile: TASKS, nodesFile: '/nowhere/m.csv' }),
      isValidation(/^--node-file: \/nowhere\/m\.csv does not exist$/),
    );
  });
});

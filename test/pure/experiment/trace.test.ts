/**
 * @module The openb trace loader: the README's mapping, bad rows rejected by file/line/column,
 * seeded sampling, and the real trace's shape.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { AppError } from '../../../core/errors/index.js';
import {
  loadOpenbTrace,
  OPENB_DEFAULT_DIR,
  openbWorkload,
  type OpenbOptions,
} from '../../../stress-client/trace/openb-trace.js';
import { parseOpenEnded, parseTinyNodes } from '../../../stress-client/trace/trace-policies.js';
import { sampleIndices } from '../../../stress-client/trace/trace-sample.js';

const MIB = 1024 * 1024;
const NODES = `sn,cpu_milli,memory_mib,gpu,model
node-a,32000,262144,0,
node-b,96500,524288,8,V100M32
`;
const PODS = `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
pod-1,12000,16384,1,1000,,LS,Running,100,700,100
pod-2,6001,12288,0,0,,BE,Failed,40,40,
bad name!,500,0.5,0,0,,LS,Pending,40,90,
`;
const BASE: OpenbOptions = { dir: '/unused', compression: 1, seed: 7 };

function rejects(nodes: string, pods: string, pattern: RegExp): void {
  assert.throws(
    () => openbWorkload(nodes, pods, BASE),
    (err: unknown) =>
      err instanceof AppError && err.code === 'VALIDATION_FAILED' && pattern.test(err.message),
  );
}

describe('openb trace mapping', () => {
  test('nodes become the fleet: floor of cores, memory in MiB', () => {
    const w = openbWorkload(NODES, PODS, BASE);
    assert.deepEqual(w.fleet, [
      { id: 'node-a', cores: 32, memoryBytes: 262144 * MIB },
      { id: 'node-b', cores: 96, memoryBytes: 524288 * MIB },
    ]);
  });

  test('pods become one-task jobs sorted by arrival, then name', () => {
    const w = openbWorkload(NODES, PODS, BASE);
    assert.deepEqual(
      w.jobs.map((j) => [
        j.name,
        j.arrivalMs,
        j.tasks[0]!.cores,
        j.tasks[0]!.memoryBytes,
        j.tasks[0]!.runSeconds,
      ]),
      [
        ['pod-2', 40_000, 7, 12288 * MIB, 0],
        ['pod-4', 40_000, 1, Math.round(0.5 * MIB), 50],
        ['pod-1', 100_000, 12, 16384 * MIB, 600],
      ],
    );
    assert.equal(w.source.kind, 'trace');
    assert.equal(w.source.seed, 7);
    assert.deepEqual(w.jobs[2]!.tasks[0]!.command, ['sleep', '600']);
  });

  test('an invalid pod name is replaced by pod-<line>, keeping names unique', () => {
    const pods = PODS.replace('pod-2,', 'pod-4,');
    const names = openbWorkload(NODES, pods, BASE).jobs.map((j) => j.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes('pod-4-2'), names.join(' '));
  });

  test('compression divides arrivals and run times', () => {
    const w = openbWorkload(NODES, PODS, { ...BASE, compression: 10 });
    const pod1 = w.jobs.find((j) => j.name === 'pod-1')!;
    assert.equal(pod1.arrivalMs, 10_000);
    assert.equal(pod1.tasks[0]!.runSeconds, 60);
  });

  const badRows: [string, string, string, RegExp][] = [
    [
      'cpu not a number',
      NODES,
      PODS.replace('12000', 'lots'),
      /openb_pod_list_default\.csv line 2, column cpu_milli: must be a number/,
    ],
    ['negative memory', NODES, PODS.replace('16384', '-1'), /line 2, column memory_mib: must be >= 0/],
    [
      'deleted before created',
      NODES,
      PODS.replace('100,700', '100,50'),
      /line 2, column deletion_time: must be >= creation_time/,
    ],
    [
      'empty creation time',
      NODES,
      PODS.replace(',40,90,', ',,90,'),
      /line 4, column creation_time: must be a number/,
    ],
    [
      'negative node cpu',
      NODES.replace('96500', '-5'),
      PODS,
      /openb_node_list_all_node\.csv line 3, column cpu_milli: must be >= 0/,
    ],
    [
      'empty node name',
      NODES.replace('node-a', ''),
      PODS,
      /node_list_all_node\.csv line 2, column sn: is empty/,
    ],
    [
      'missing column',
      NODES,
      PODS.replace('deletion_time', 'deleted'),
      /line 1: missing column\(s\) deletion_time/,
    ],
    ['zero cpu', NODES, PODS.replace('6001', '0'), /line 3, column cpu_milli: must be > 0/],
  ];
  for (const [name, nodes, pods, pattern] of badRows) {
    test(`rejects a bad row: ${name}`, () => rejects(nodes, pods, pattern));
  }

  test('rejects bad options by name', () => {
    assert.throws(
      () => openbWorkload(NODES, PODS, { ...BASE, compression: 0.5 }),
      /compression must be a number >= 1/,
    );
    assert.throws(
      () => openbWorkload(NODES, PODS, { ...BASE, nodeSample: 0 }),
      /nodeSample must be a fraction/,
    );
    assert.throws(
      () => openbWorkload(NODES, PODS, { ...BASE, podSample: 1.5 }),
      /podSample must be a fraction/,
    );
    assert.throws(
      () => openbWorkload(NODES, PODS, { ...BASE, limitPods: 0 }),
      /limitPods must be a positive integer/,
    );
  });
});

describe('openb: open-ended pods, tiny nodes, input files', () => {
  const openPods = PODS.replace('100,700,100', '100,,100');

  test('a pod without a deletion time runs until the trace ends by default (the latest time seen)', () => {
    const w = openbWorkload(NODES, openPods, BASE);
    const pod1 = w.jobs.find((j) => j.name === 'pod-1')!;
    // The trace's last timestamp is pod-3's deletion at 90 s… and pod-1's creation at 100 s.
    assert.equal(pod1.tasks[0]!.runSeconds, 0);
    assert.equal(w.source.params.openEnded, 'until-end');
    assert.equal(w.source.params.openEndedPods, 1);
    const later = openbWorkload(NODES, openPods.replace('40,90,', '40,900,'), BASE);
    assert.equal(later.jobs.find((j) => j.name === 'pod-1')!.tasks[0]!.runSeconds, 800);
  });

  test('--open-ended drop removes the pod, <duration> gives it that run time (trace time, compressed)', () => {
    const dropped = openbWorkload(NODES, openPods, { ...BASE, openEnded: { kind: 'drop' } });
    assert.deepEqual(
      dropped.jobs.map((j) => j.name),
      ['pod-2', 'pod-4'],
    );
    assert.equal(dropped.source.params.droppedPods, 1);
    const fixed = openbWorkload(NODES, openPods, {
      ...BASE,
      compression: 2,
      openEnded: { kind: 'duration', seconds: 3600 },
    });
    assert.equal(fixed.jobs.find((j) => j.name === 'pod-1')!.tasks[0]!.runSeconds, 1800);
    assert.equal(fixed.source.params.openEnded, '3600s');
  });

  test('a node under one core is dropped by default, or given one core with round-up', () => {
    const tiny = NODES.replace('96500', '500');
    const w = openbWorkload(NODES.replace('96500', '500'), PODS, BASE);
    assert.deepEqual(
      w.fleet?.map((n) => n.id),
      ['node-a'],
    );
    assert.equal(w.source.params.droppedNodes, 1);
    assert.equal(w.source.params.tinyNodeCount, 1);
    const up = openbWorkload(tiny, PODS, { ...BASE, tinyNodes: 'round-up' });
    assert.deepEqual(up.fleet?.find((n) => n.id === 'node-b')?.cores, 1);
  });

  test('policies are parsed and refused by flag', () => {
    assert.deepEqual(parseOpenEnded('until-end'), { kind: 'until-end' });
    assert.deepEqual(parseOpenEnded('1.5m'), { kind: 'duration', seconds: 90 });
    assert.throws(
      () => parseOpenEnded('forever'),
      /--open-ended: "forever" is not drop, until-end or a duration/,
    );
    assert.equal(parseTinyNodes('round-up'), 'round-up');
    assert.throws(() => parseTinyNodes('keep'), /--tiny-nodes: "keep" is not drop or round-up/);
  });

  test('files are read by path, recorded by name and SHA-256; a missing one names its option', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'openb-'));
    try {
      await writeFile(path.join(dir, 'nodes.csv'), NODES);
      await writeFile(path.join(dir, 'pods-variant.csv'), PODS);
      const w = await loadOpenbTrace({
        ...BASE,
        dir,
        nodeFile: path.join(dir, 'nodes.csv'),
        podFile: path.join(dir, 'pods-variant.csv'),
      });
      assert.equal(w.jobs.length, 3);
      assert.deepEqual(
        w.source.inputs?.map((i) => [i.role, i.file, i.sha256, i.bytes]),
        [
          ['nodes', 'nodes.csv', createHash('sha256').update(NODES).digest('hex'), NODES.length],
          ['pods', 'pods-variant.csv', createHash('sha256').update(PODS).digest('hex'), PODS.length],
        ],
      );
      await assert.rejects(
        loadOpenbTrace({
          ...BASE,
          dir,
          podFile: path.join(dir, 'nope.csv'),
          nodeFile: path.join(dir, 'nodes.csv'),
        }),
        (err: unknown) =>
          err instanceof AppError &&
          err.message === `--trace-file: ${path.join(dir, 'nope.csv')} does not exist`,
      );
      await assert.rejects(
        loadOpenbTrace({ ...BASE, dir }),
        new RegExp(`^AppError: --trace-dir: ${dir}/openb_\\w+\\.csv does not exist`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('seeded sampling', () => {
  test('keeps round(n × fraction) indices, ascending, the same for the same seed', () => {
    const a = sampleIndices(1000, 0.25, 42);
    assert.equal(a.length, 250);
    assert.deepEqual(
      a,
      [...a].sort((x, y) => x - y),
    );
    assert.equal(new Set(a).size, 250);
    assert.deepEqual(sampleIndices(1000, 0.25, 42), a);
    assert.notDeepEqual(sampleIndices(1000, 0.25, 43), a);
  });

  test('a whole number above 1 keeps that many rows (all when fewer); the loaders take it', async () => {
    assert.equal(sampleIndices(1000, 3, 42).length, 3);
    assert.deepEqual(sampleIndices(5, 9, 1), [0, 1, 2, 3, 4]);
    const w = await loadOpenbTrace({
      dir: OPENB_DEFAULT_DIR,
      compression: 1,
      seed: 1,
      nodeSample: 3,
      limitPods: 10,
    });
    assert.equal(w.fleet?.length, 3);
    assert.throws(
      () => openbWorkload(NODES, PODS, { ...BASE, nodeSample: 2.5 }),
      /nodeSample must be a fraction in \(0, 1\] or a whole number of rows/,
    );
  });

  test('fraction 1 keeps everything; a tiny fraction keeps at least one', () => {
    assert.deepEqual(sampleIndices(5, 1, 1), [0, 1, 2, 3, 4]);
    assert.equal(sampleIndices(5, 0.01, 1).length, 1);
    assert.deepEqual(sampleIndices(0, 0.5, 1), []);
  });
});

describe('the real openb trace', () => {
  test('loads 8,152 pods on 1,523 nodes, sorted, with valid API names', async () => {
    const w = await loadOpenbTrace({ dir: OPENB_DEFAULT_DIR, compression: 1, seed: 1 });
    assert.equal(w.jobs.length, 8152);
    assert.equal(w.fleet?.length, 1523);
    assert.equal(
      w.fleet.reduce((s, n) => s + n.cores, 0),
      125_514,
    );
    for (let i = 1; i < w.jobs.length; i++) assert.ok(w.jobs[i - 1]!.arrivalMs <= w.jobs[i]!.arrivalMs);
    const name = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
    assert.ok(w.jobs.every((j) => name.test(j.name)));
  });

  test('down-sampling is deterministic per seed and records its parameters', async () => {
    const opts = {
      dir: OPENB_DEFAULT_DIR,
      compression: 100,
      seed: 5,
      nodeSample: 0.1,
      podSample: 0.2,
      limitPods: 500,
    };
    const a = await loadOpenbTrace(opts);
    const b = await loadOpenbTrace(opts);
    assert.deepEqual(a, b);
    assert.equal(a.fleet?.length, 152);
    assert.equal(a.jobs.length, 500);
    assert.equal(a.source.params.nodeSample, 0.1);
    const other = await loadOpenbTrace({ ...opts, seed: 6 });
    assert.notDeepEqual(
      other.fleet?.map((n) => n.id),
      a.fleet?.map((n) => n.id),
    );
  });
});

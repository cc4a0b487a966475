/**
 * @module Stress command options: fleet specs, thresholds, targets and seeds, each bad value
 * refused naming its flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseFleetSpec } from '../../../stress-client/generator/index.js';
import { buildWorkload, seedOf, seedsOf, targetOf, thresholdsOf } from '../../../cli/stress-options.js';
import type { Workload } from '../../../stress-client/workload.js';

test('table: fleet specs', () => {
  assert.deepEqual(parseFleetSpec('2x32x128g'), [
    { id: 'sim-1', cores: 32, memoryBytes: 128 * 1024 ** 3 },
    { id: 'sim-2', cores: 32, memoryBytes: 128 * 1024 ** 3 },
  ]);
  assert.equal(parseFleetSpec(' 1 x 4 x 512m ')[0]!.memoryBytes, 512 * 1024 ** 2);
  for (const bad of ['', '3x8', '0x8x1g', '2x0x1g', '2x8x0', 'ax8x1g', '2x8x1t']) {
    assert.throws(() => parseFleetSpec(bad, '--local-fleet'), /--local-fleet/, bad);
  }
});

test('property: a fleet spec gives count workers of that size with unique ids', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 256 }),
      fc.integer({ min: 1, max: 512 }),
      (n, c, g) => {
        const f = parseFleetSpec(`${n}x${c}x${g}g`);
        assert.equal(f.length, n);
        assert.equal(new Set(f.map((w) => w.id)).size, n);
        assert.ok(f.every((w) => w.cores === c && w.memoryBytes === g * 1024 ** 3));
      },
    ),
  );
});

test('table: thresholds from --max-<stat>-<metric>', () => {
  assert.deepEqual(thresholdsOf({ maxP95Wait: '10s', maxP99Total: '1m', maxMeanExec: '250ms' }), [
    { metric: 'execution', stat: 'mean', maxSeconds: 0.25 },
    { metric: 'waiting', stat: 'p95', maxSeconds: 10 },
    { metric: 'total', stat: 'p99', maxSeconds: 60 },
  ]);
  assert.deepEqual(thresholdsOf({}), []);
  assert.throws(() => thresholdsOf({ maxP95Wait: 'ten' }), /--max-p95-wait: "ten"/);
});

test('table: targets', () => {
  const generated: Workload = { source: { kind: 'steady', params: {}, seed: 1 }, jobs: [] };
  const trace: Workload = { ...generated, fleet: [{ id: 'n1', cores: 4, memoryBytes: 1024 }] };
  assert.deepEqual(targetOf({}, generated), {
    kind: 'url',
    url: 'http://127.0.0.1:5001',
    token: undefined,
    tokenFile: undefined,
  });
  assert.deepEqual(targetOf({ url: 'http://h:1', tokenFile: '/tmp/t' }, generated), {
    kind: 'url',
    url: 'http://h:1',
    token: undefined,
    tokenFile: '/tmp/t',
  });
  assert.equal(targetOf({ virtual: true, fleet: '2x4x1g' }, generated).kind, 'virtual');
  assert.deepEqual(targetOf({ virtual: true }, trace), { kind: 'virtual', fleet: trace.fleet });
  assert.deepEqual(targetOf({ localFleet: 'trace' }, trace), { kind: 'local', fleet: trace.fleet });
  assert.throws(() => targetOf({ virtual: true }, generated), /--fleet: give <count>x<cores>x<memory>/);
  assert.throws(() => targetOf({ virtual: true, url: 'http://x' }, generated), /give one target/);
  assert.equal(seedOf({}), 1);
  assert.throws(() => seedOf({ seed: '1.5' }), /--seed/);
});

test('table: --seeds as a count from --seed, or a list; bad values name the flag', () => {
  const cases: [Record<string, string>, number[]][] = [
    [{}, [1]],
    [{ seed: '7' }, [7]],
    [{ seeds: '3' }, [1, 2, 3]],
    [{ seeds: '3', seed: '7' }, [7, 8, 9]],
    [{ seeds: '7, 8,-9' }, [7, 8, -9]],
  ];
  for (const [o, seeds] of cases) assert.deepEqual(seedsOf(o), seeds, JSON.stringify(o));
  for (const bad of ['0', '1001', 'x', '1,1', '1,,2', '1.5,2', '']) {
    assert.throws(() => seedsOf({ seeds: bad }), /--seeds/, bad);
  }
});

test('property: a count of seeds gives that many consecutive, distinct seeds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -1000, max: 1000 }), (n, base) => {
      const seeds = seedsOf({ seeds: String(n), seed: String(base) });
      assert.equal(seeds.length, n);
      assert.equal(seeds[0], base);
      assert.equal(new Set(seeds).size, n);
    }),
  );
});

test('buildWorkload: original file under flags; bad files and flags name the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-stress-opts-'));
  const random = join(dir, 'RandomStressClientInfo.json');
  writeFileSync(random, JSON.stringify({ lower_bound: 2, upper_bound: 2, task_count: 1, run_count: 3 }));
  const w = await buildWorkload('random', { upper: '3', seed: '4' }, random);
  assert.deepEqual(w.source.params['shape'], { kind: 'random', lower: 2, upper: 3 });
  assert.equal((w.source.params['timing'] as { turns: number }).turns, 3);
  assert.ok(w.jobs.every((j) => j.tasks.length === 1));
  assert.equal(w.source.seed, 4);
  const d = await buildWorkload('steady', { duration: '3s', interval: '0.5' }, undefined);
  assert.equal(d.jobs.length, 6);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ lower_bound: 3, upper_bound: 'x' }));
  await assert.rejects(buildWorkload('random', {}, bad), /bad\.json: upper_bound/);
  const bursty = join(dir, 'BurstyStressClientInfo.json');
  writeFileSync(bursty, JSON.stringify({ lambda: 0.5 }));
  await assert.rejects(buildWorkload('random', {}, bursty), /lambda configures the bursty shape, not random/);
  await assert.rejects(
    buildWorkload('steady', { turns: 'three' }, undefined),
    /--turns: "three" is not a number/,
  );
  await assert.rejects(buildWorkload('steady', { cores: 'many' }, undefined), /--cores: "many"/);
  await assert.rejects(buildWorkload('bursty', { lambda: '-1' }, undefined), /lambda/);
  await assert.rejects(buildWorkload('steady', { duration: 'soon' }, undefined), /--duration: "soon"/);
});

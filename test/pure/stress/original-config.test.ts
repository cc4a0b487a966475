/**
 * @module The original stress clients' config files: accepted unchanged, bad ones name the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOriginalConfig, readOriginalConfig } from '../../../stress-client/original-config.js';
import { arrivalTimes, resolveShape, resolveTiming } from '../../../stress-client/load-shapes/index.js';

test('table: the four original shape files map to shapes', () => {
  const cases: [unknown, unknown][] = [
    [{ feed_constant: 1 }, { kind: 'steady', jobsPerTurn: 1 }],
    [{ lambda: 0.5 }, { kind: 'bursty', lambda: 0.5 }],
    [
      { coefficient: 1, constant: 0 },
      { kind: 'incremental', coefficient: 1, constant: 0 },
    ],
    [
      { lower_bound: 1, upper_bound: 3 },
      { kind: 'random', lower: 1, upper: 3 },
    ],
  ];
  for (const [file, shape] of cases) {
    const c = parseOriginalConfig(file, 'x.json');
    assert.deepEqual(c.shape, shape);
    resolveShape(c.shape!); // and the result is a valid shape
  }
});

test('the base StressClientInfo.json maps to timing and generator options', () => {
  const c = parseOriginalConfig(
    {
      subnet: '129.59.0.0/16',
      image_name: 'aduermael/sleeper',
      task_count: 4,
      task_cores: 2,
      task_mem: 50,
      time_interval: 1,
      run_count: 100,
    },
    'StressClientInfo.json',
  );
  assert.equal(c.shape, undefined);
  assert.deepEqual(c.timing, { intervalSeconds: 1, turns: 100 });
  assert.deepEqual(c.generator, { image: 'aduermael/sleeper', tasksPerJob: 4, cores: 2, memory: '50m' });
  assert.equal(c.subnet, '129.59.0.0/16');
  // The original semantics: run_count turns at t = 0, 1, …, 99.
  const a = arrivalTimes(resolveShape({ kind: 'steady' }), resolveTiming(c.timing), 1);
  assert.equal(a.arrivalsMs.length, 100);
  assert.equal(a.arrivalsMs.at(-1), 99_000);
});

test('table: bad original files are refused naming the field', () => {
  const cases: [unknown, RegExp, string?][] = [
    [{ lambda: 0 }, /lambda/],
    [{ lambda: '0.5' }, /lambda/],
    [{ feed_constant: -1 }, /feed_constant/],
    [{ lower_bound: 3, upper_bound: 1 }, /upper_bound/],
    [{ task_count: 0 }, /task_count/],
    [{ task_mem: '50 furlongs' }, /task_mem/],
    [{ run_count: 1.5 }, /run_count/],
    [{ feed_constnt: 1 }, /feed_constnt/],
    [{ feed_constant: 1, lambda: 0.5 }, /feed_constant, lambda/],
    [{ lambda: 0.5 }, /lambda configures the bursty shape, not steady/, 'steady'],
    [[1, 2], /x\.json/],
  ];
  for (const [file, re, expected] of cases) {
    assert.throws(() => parseOriginalConfig(file, 'x.json', expected), re, JSON.stringify(file));
  }
});

test('reading a file: JSON errors name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-orig-'));
  const good = join(dir, 'BurstyStressClientInfo.json');
  writeFileSync(good, '{"lambda": 0.5}');
  assert.deepEqual(readOriginalConfig(good, 'bursty').shape, { kind: 'bursty', lambda: 0.5 });
  const bad = join(dir, 'broken.json');
  writeFileSync(bad, '{"lambda": ');
  assert.throws(() => readOriginalConfig(bad), /broken\.json: not a readable JSON file/);
});

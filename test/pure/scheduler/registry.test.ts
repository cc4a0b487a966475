/**
 * @module The strategy registry, option checks and the cpuset helper.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { AppError } from '../../../core/errors/app-error.js';
import { cpusetString } from '../../../core/scheduler/cpuset-string.js';
import { schedule } from '../../../core/scheduler/schedule.js';
import { STRATEGY_NAMES, getStrategy, isStrategyName } from '../../../core/scheduler/strategy-registry.js';
import { aJob, aSnapshot, aWorker } from '../../support/scheduler-fixtures.js';

describe('strategy registry', () => {
  test('every name resolves to a strategy of that name, built from an ordering and a choice', () => {
    const table = STRATEGY_NAMES.map((name) => {
      const s = getStrategy(name);
      return [s.name, s.ordering, s.choice, s.headOfLineBlocking];
    });
    assert.deepEqual(table, [
      ['first-fit', 'as-submitted', 'first-fit', false],
      ['best-fit', 'as-submitted', 'best-fit', false],
      ['first-fit-decreasing', 'decreasing', 'first-fit', false],
      ['best-fit-decreasing', 'decreasing', 'best-fit', false],
      ['worst-fit', 'as-submitted', 'worst-fit', false],
      ['no-scheduler', 'as-submitted', 'pinned', false],
      ['priority', 'priority-aged', 'best-fit', true],
      ['spread', 'as-submitted', 'spread', false],
    ]);
  });

  test("an unknown name (the original's 'best-fir-decreasing' typo) throws UNKNOWN_STRATEGY listing the valid ones", () => {
    assert.throws(
      () => getStrategy('best-fir-decreasing'),
      (err: unknown) =>
        err instanceof AppError &&
        err.code === 'UNKNOWN_STRATEGY' &&
        STRATEGY_NAMES.every((name) => err.message.includes(name)) &&
        err.message.includes('"best-fir-decreasing"'),
    );
    assert.throws(() => schedule(aSnapshot([]), [], 'toString', { nowMs: 0 }), AppError);
    assert.equal(isStrategyName('constructor'), false);
  });

  test('the names match the StrategyName enum of openapi/openapi.yaml', () => {
    const spec = parse(readFileSync(new URL('../../../openapi/openapi.yaml', import.meta.url), 'utf8')) as {
      components: { schemas: { StrategyName: { enum: string[] } } };
    };
    assert.deepEqual(spec.components.schemas.StrategyName.enum, [...STRATEGY_NAMES]);
  });
});

describe('schedule options', () => {
  const snapshot = aSnapshot([aWorker()]);
  test('bad options are a programming error and throw', () => {
    assert.throws(() => schedule(snapshot, [aJob()], 'best-fit', { nowMs: Number.NaN }), RangeError);
    assert.throws(
      () => schedule(snapshot, [aJob()], 'priority', { nowMs: 0, agingPerSecond: -1 }),
      RangeError,
    );
  });

  test('an empty batch gives an empty plan carrying the snapshot version', () => {
    assert.deepEqual(schedule(aSnapshot([aWorker()], 42), [], 'best-fit', { nowMs: 0 }), {
      snapshotVersion: 42,
      strategy: 'best-fit',
      placements: [],
      unplaced: [],
    });
  });
});

describe('cpusetString', () => {
  const cases: [number[], string][] = [
    [[], ''],
    [[5], '5'],
    [[0, 1, 2, 3, 6], '0-3,6'],
    [[6, 0, 2, 1, 3], '0-3,6'],
    [[0, 2, 4], '0,2,4'],
    [[30, 31, 32, 33, 63], '30-33,63'],
  ];
  for (const [ids, text] of cases)
    test(`[${ids.join(',')}] → "${text}"`, () => assert.equal(cpusetString(ids), text));
});

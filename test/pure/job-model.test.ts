/**
 * @module Pure helpers of the job model: sizes, cpusets, state machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseMemorySize,
  formatMemorySize,
  parseCpuset,
  formatCpuset,
  canTaskTransition,
  canJobTransition,
  deriveJobState,
  toOriginalStatus,
  TASK_STATES,
  isTerminalTaskState,
} from '../../core/job/index.js';

test('memory sizes', () => {
  const table: [string, number | undefined][] = [
    ['50m', 50 * 1024 ** 2],
    ['50M', 50 * 1024 ** 2],
    ['50mb', 50 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['512k', 512 * 1024],
    ['100', 100],
    ['100b', 100],
    [' 8 m ', 8 * 1024 ** 2],
    ['50x', undefined],
    ['m', undefined],
    ['-5m', undefined],
    ['1t', undefined],
    ['', undefined],
    ['5mm', undefined],
  ];
  for (const [text, bytes] of table) assert.equal(parseMemorySize(text), bytes, text);
});

test('memory format round-trips', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (n) => parseMemorySize(formatMemorySize(n)) === n),
  );
});

test('cpusets', () => {
  assert.deepEqual(parseCpuset('0,3'), [0, 3]);
  assert.deepEqual(parseCpuset('0-3'), [0, 1, 2, 3]);
  assert.deepEqual(parseCpuset('5,0-2'), [0, 1, 2, 5]);
  for (const bad of ['', '3-1', '1,1', 'a', '1-', '0-5000', '1;2'])
    assert.equal(parseCpuset(bad), undefined, bad);
  assert.equal(formatCpuset([0, 1, 2, 3, 6, 8, 9]), '0-3,6,8-9');
});

test('cpuset format round-trips', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }), (ids) => {
      assert.deepEqual(
        parseCpuset(formatCpuset(ids)),
        [...ids].sort((a, b) => a - b),
      );
    }),
  );
});

test('task states only move forward and never leave an end state', () => {
  assert.ok(canTaskTransition('pending', 'running'));
  assert.ok(canTaskTransition('starting', 'failed'));
  assert.ok(!canTaskTransition('running', 'starting'));
  assert.ok(!canTaskTransition('finished', 'failed'));
  assert.ok(!canTaskTransition('running', 'running'));
  for (const from of TASK_STATES) {
    for (const to of TASK_STATES) {
      if (canTaskTransition(from, to))
        assert.ok(!isTerminalTaskState(from) && TASK_STATES.indexOf(to) > TASK_STATES.indexOf(from));
    }
  }
  assert.ok(canJobTransition('waiting', 'scheduled'));
  assert.ok(!canJobTransition('finished', 'running'));
});

test('job state from task states, and the original statuses', () => {
  assert.equal(deriveJobState(['pending', 'pending']), 'waiting');
  assert.equal(deriveJobState(['scheduled', 'pending']), 'scheduled');
  assert.equal(deriveJobState(['running', 'starting']), 'running');
  assert.equal(deriveJobState(['finished', 'finished']), 'finished');
  assert.equal(deriveJobState(['finished', 'failed']), 'failed');
  assert.equal(deriveJobState(['finished', 'running']), 'running');
  assert.equal(deriveJobState(['cancelled', 'finished']), 'cancelled');
  assert.equal(toOriginalStatus('waiting'), 'Ready');
  assert.equal(toOriginalStatus('running'), 'Deployed');
  assert.equal(toOriginalStatus('lost'), 'Down');
});

/**
 * @module The worker's store of ended tasks' last output (worker/kept-logs.ts): bounded by lines
 * per task, tasks and bytes, oldest ended out first, and why a key is gone is told.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogLine } from '../../core/protocol/index.js';
import { KeptLogs, keptLineBytes } from '../../worker/kept-logs.js';

const AT = '2026-12-02T10:00:00.000000000Z'; // 30 characters: a line costs its text + 31 bytes

function lines(...texts: string[]): LogLine[] {
  return texts.map((text) => ({ at: AT, stream: 'stdout', text }));
}

const texts = (ls: readonly LogLine[] | undefined): string[] | undefined => ls?.map((l) => l.text);

describe('KeptLogs', () => {
  test('keep says which keys it dropped to make room (a copy on disk follows them)', () => {
    const kept = new KeptLogs({ keptLogLines: 10, keptLogTasks: 2, keptLogBytes: 3 * 32 });
    assert.deepEqual(kept.keep('a', lines('a')), []);
    assert.deepEqual(kept.keep('b', lines('b')), []);
    assert.deepEqual(kept.keep('c', lines('c')), ['a'], 'over keptLogTasks');
    assert.deepEqual(
      kept.keep('d', lines('d', 'd', 'd')),
      ['b', 'c'],
      'over keptLogTasks, then keptLogBytes',
    );
    assert.deepEqual(
      new KeptLogs({ keptLogLines: 1, keptLogTasks: 0, keptLogBytes: 1 }).keep('x', lines('x')),
      ['x'],
    );
  });

  const cases: {
    name: string;
    limits: { keptLogLines: number; keptLogTasks: number; keptLogBytes: number };
    keep: [string, string[]][];
    expect: Record<string, string[] | undefined>;
    gone?: Record<string, string | undefined>;
  }[] = [
    {
      name: 'a task keeps its last keptLogLines lines',
      limits: { keptLogLines: 2, keptLogTasks: 10, keptLogBytes: 10_000 },
      keep: [['a', ['1', '2', '3']]],
      expect: { a: ['2', '3'] },
    },
    {
      name: 'more tasks than keptLogTasks: the oldest ended goes, and is told as evicted for tasks',
      limits: { keptLogLines: 10, keptLogTasks: 2, keptLogBytes: 10_000 },
      keep: [
        ['a', ['a1']],
        ['b', ['b1']],
        ['c', ['c1']],
      ],
      expect: { a: undefined, b: ['b1'], c: ['c1'] },
      gone: { a: 'tasks', b: undefined, never: undefined },
    },
    {
      name: 'over keptLogBytes: the oldest go until it fits, told as evicted for bytes',
      limits: { keptLogLines: 10, keptLogTasks: 10, keptLogBytes: 3 * 32 },
      keep: [
        ['a', ['a']],
        ['b', ['b']],
        ['c', ['c', 'c']],
      ],
      expect: { a: undefined, b: ['b'], c: ['c', 'c'] },
      gone: { a: 'bytes' },
    },
    {
      name: 'one task larger than keptLogBytes keeps its newest lines that fit',
      limits: { keptLogLines: 10, keptLogTasks: 10, keptLogBytes: 2 * 32 },
      keep: [['a', ['1', '2', '3', '4']]],
      expect: { a: ['3', '4'] },
    },
    {
      name: 'keeping a task again replaces its lines and makes it the newest',
      limits: { keptLogLines: 10, keptLogTasks: 2, keptLogBytes: 10_000 },
      keep: [
        ['a', ['old']],
        ['b', ['b1']],
        ['a', ['new']],
        ['c', ['c1']],
      ],
      expect: { a: ['new'], b: undefined, c: ['c1'] },
      gone: { b: 'tasks' },
    },
    {
      name: 'keptLogTasks 0 keeps nothing',
      limits: { keptLogLines: 10, keptLogTasks: 0, keptLogBytes: 10_000 },
      keep: [['a', ['1']]],
      expect: { a: undefined },
      gone: { a: 'tasks' },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const kept = new KeptLogs(c.limits);
      for (const [key, t] of c.keep) kept.keep(key, lines(...t));
      for (const [key, want] of Object.entries(c.expect)) assert.deepEqual(texts(kept.get(key)), want, key);
      for (const [key, kind] of Object.entries(c.gone ?? {}))
        assert.equal(kept.whyGone(key)?.kind, kind, `why ${key} is gone`);
    });
  }

  test('an unreadable task is told with the reason; a later keep clears it', () => {
    const kept = new KeptLogs({ keptLogLines: 10, keptLogTasks: 10, keptLogBytes: 10_000 });
    kept.unreadable('a', 'no such container');
    assert.deepEqual(kept.whyGone('a'), { kind: 'unreadable', reason: 'no such container' });
    kept.keep('a', lines('x'));
    assert.equal(kept.whyGone('a'), undefined);
    assert.deepEqual(texts(kept.get('a')), ['x']);
    kept.drop('a');
    assert.equal(kept.get('a'), undefined);
    assert.equal(kept.bytes, 0);
  });

  test('property: every bound holds after any sequence of keeps and drops, and the newest is kept', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('keep' as const),
        key: fc.integer({ min: 0, max: 12 }).map(String),
        texts: fc.array(fc.string({ maxLength: 40 }), { maxLength: 30 }),
      }),
      fc.record({ kind: fc.constant('drop' as const), key: fc.integer({ min: 0, max: 12 }).map(String) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.array(op, { maxLength: 60 }),
        (maxLines, maxTasks, maxBytes, ops) => {
          const limits = { keptLogLines: maxLines, keptLogTasks: maxTasks, keptLogBytes: maxBytes };
          const kept = new KeptLogs(limits);
          for (const o of ops) {
            if (o.kind === 'drop') {
              kept.drop(o.key);
              continue;
            }
            const given = lines(...o.texts);
            kept.keep(o.key, given);
            // The task just kept is there, with the newest lines of what it was given.
            const got = kept.get(o.key) ?? [];
            assert.deepEqual(got, given.slice(given.length - got.length));
            assert.ok(got.length <= maxLines);
          }
          assert.ok(kept.size <= maxTasks, `${kept.size} tasks > ${maxTasks}`);
          assert.ok(kept.bytes <= maxBytes, `${kept.bytes} bytes > ${maxBytes}`);
          let sum = 0;
          for (let k = 0; k <= 12; k++) for (const l of kept.get(String(k)) ?? []) sum += keptLineBytes(l);
          assert.equal(kept.bytes, sum, 'the byte count matches the lines kept');
        },
      ),
    );
  });
});

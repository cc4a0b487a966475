/**
 * @module The waiting jobs kept in scheduling order: after random command streams (and after a
 * restore), `waitingJobs(limit)` equals a scan and sort of every live job; the queue's own rules
 * (order, ties by name, re-keying, removal) in tables.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ControlState } from '../../core/control-state/index.js';
import { WaitingQueue } from '../../core/control-state/waiting-queue.js';
import type { JobRecord } from '../../core/model/records.js';
import { applyAll, arbStreamStep, joinCmd, streamCommand } from '../support/control-state-fixtures.js';

/** What waitingJobs answered before it kept a queue: scan, filter, sort. */
function scanned(s: ControlState, limit: number): string[] {
  const out: JobRecord[] = [];
  for (const j of s.jobs()) if (j.state === 'waiting' && !j.cancelRequested) out.push(j);
  out.sort((a, b) => a.submittedAt - b.submittedAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out.slice(0, limit).map((j) => j.name);
}

describe('ControlState: waiting jobs in order', () => {
  it('after every command of random streams, and after a restore, equal a scan and sort', () => {
    fc.assert(
      fc.property(fc.array(arbStreamStep, { minLength: 1, maxLength: 60 }), fc.nat(6), (steps, limit) => {
        const s = new ControlState();
        applyAll(s, [joinCmd('w0', 4), joinCmd('w1', 2)]);
        steps.forEach((x, i) => {
          // Same-time submissions make ties, broken by name.
          const cmd = streamCommand(s, x, Math.floor(i / 3) + 1);
          if (cmd) s.apply(cmd);
          assert.deepEqual(
            s.waitingJobs().map((j) => j.name),
            scanned(s, Infinity),
            `after step ${i}`,
          );
          assert.deepEqual(
            s.waitingJobs(limit).map((j) => j.name),
            scanned(s, limit),
          );
          assert.ok(
            s.waitingJobs().every((j) => j === s.job(j.name)),
            'the current records',
          );
        });
        const restored = ControlState.fromSnapshot(JSON.parse(JSON.stringify(s.toSnapshot())));
        assert.deepEqual(
          restored.waitingJobs().map((j) => j.name),
          scanned(s, Infinity),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('WaitingQueue', () => {
  it('orders by time then name, re-keys a job that moves, and forgets one taken out', () => {
    const q = new WaitingQueue();
    q.set('b', 5);
    q.set('a', 5);
    q.set('c', 1);
    q.set('d', 9);
    assert.deepEqual(q.first(10), ['c', 'a', 'b', 'd']);
    q.set('c', 7);
    assert.deepEqual(q.first(10), ['a', 'b', 'c', 'd']);
    q.set('a', undefined);
    q.set('a', undefined);
    q.set('zz', undefined);
    assert.deepEqual(q.first(2), ['b', 'c']);
    assert.equal(q.size, 3);
    q.set('b', 5);
    assert.deepEqual(q.first(0), []);
    assert.deepEqual(q.first(10), ['b', 'c', 'd']);
  });
});

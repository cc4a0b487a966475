/**
 * @module Workers whose cpuset does not start at core 0 (two agents on one host with disjoint
 * sets) are usable by the scheduler: placements and pins name the worker's own core ids, never a
 * core outside its set and never a booked one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { snapshotOf, requestsOf } from '../../core/control/cluster-snapshot.js';
import { newJobRecord } from '../../core/control/job-transitions.js';
import type { JobSpec } from '../../core/job/job-model.js';
import type { Booking, WorkerRecord } from '../../core/model/records.js';
import { schedule } from '../../core/scheduler/index.js';
import { aJob } from '../support/store-contract.js';

const MiB = 1024 * 1024;

function worker(id: string, coreIds: number[], booked: number[] = []): WorkerRecord {
  const bookings: Booking[] = booked.length
    ? [{ job: 'other', task: 't', attempt: 0, coreIds: booked, memoryBytes: 0, bookedAt: 0 }]
    : [];
  return {
    id,
    state: 'ready',
    runtime: 'docker',
    coreIds,
    totalMemoryBytes: 1024 * MiB,
    bookings,
    joinedAt: 0,
    lastHeartbeatAt: 0,
    version: 1,
  };
}

function job(
  name: string,
  cores: number,
  pin?: { workerId: string; coreIds: number[] | undefined },
): JobSpec {
  const base = aJob(name).spec;
  return { ...base, tasks: [{ ...base.tasks[0]!, name: 't', cores, memoryBytes: 16 * MiB, pin }] };
}

function place(workers: WorkerRecord[], spec: JobSpec): string[] {
  const plan = schedule(snapshotOf(workers, 1), requestsOf([newJobRecord(spec, 0)]), 'best-fit', {
    nowMs: 0,
  });
  return [
    ...plan.placements.map((p) => `${p.workerId}:${p.coreIds.join(',')}`),
    ...plan.unplaced.map((u) => `unplaced: ${u.reason}`),
  ];
}

describe('cpusets that do not start at 0', () => {
  const cases: { what: string; workers: WorkerRecord[]; spec: JobSpec; want: string[] | RegExp }[] = [
    { what: 'a one-core worker on core 1', workers: [worker('b', [1])], spec: job('j', 1), want: ['b:1'] },
    {
      what: 'the only free core of a sparse set',
      workers: [worker('b', [2, 5, 7], [2, 7])],
      spec: job('j', 1),
      want: ['b:5'],
    },
    {
      what: 'a pin to the worker’s own core id',
      workers: [worker('a', [0]), worker('b', [1])],
      spec: job('j', 1, { workerId: 'b', coreIds: [1] }),
      want: ['b:1'],
    },
    {
      what: 'a pin to a booked core waits with the reason',
      workers: [worker('b', [1], [1])],
      spec: job('j', 1, { workerId: 'b', coreIds: [1] }),
      want: /^unplaced: task t pins core 1 on worker b, but/,
    },
    {
      what: 'more cores than the set has waits, never borrows a core outside it',
      workers: [worker('b', [1])],
      spec: job('j', 2),
      want: /^unplaced: task t needs 2 cores/,
    },
  ];
  for (const c of cases) {
    test(c.what, () => {
      const got = place(c.workers, c.spec);
      if (c.want instanceof RegExp) {
        assert.equal(got.length, 1, JSON.stringify(got));
        assert.match(got[0]!, c.want);
      } else assert.deepEqual(got, c.want);
    });
  }

  test('property: a placement only ever uses free cores of the worker’s own set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        (ids, cores, bookedMask) => {
          const coreIds = [...ids].sort((a, b) => a - b);
          const booked = coreIds.filter((_, i) => bookedMask[i]);
          const free = coreIds.filter((c) => !booked.includes(c));
          const w = worker('w', coreIds, booked);
          const plan = schedule(
            snapshotOf([w], 1),
            requestsOf([newJobRecord(job('j', cores), 0)]),
            'best-fit',
            {
              nowMs: 0,
            },
          );
          const p = plan.placements[0];
          if (cores <= free.length) {
            assert.ok(p, `placed ${cores} of free ${free.join(',')}`);
            assert.equal(p.coreIds.length, cores);
            for (const c of p.coreIds) assert.ok(free.includes(c), `core ${c} is free and in the set`);
          } else assert.equal(p, undefined);
        },
      ),
    );
  });
});

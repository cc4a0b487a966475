/**
 * @module The worker index's data structures against naive models, on random operation sequences:
 * the sparse max-forest, the bucket tree, the worker index's choices and the core bitset's core rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BucketTree } from '../../../core/scheduler/bucket-tree.js';
import { CoreBitset } from '../../../core/scheduler/core-bitset.js';
import { SnapshotFacts } from '../../../core/scheduler/snapshot-facts.js';
import { SparseMaxForest } from '../../../core/scheduler/sparse-max-forest.js';
import { WorkerIndex } from '../../../core/scheduler/worker-index.js';
import { referenceCoreRule } from '../../support/reference-scheduler.js';
import { aSnapshot, aWorker } from '../../support/scheduler-fixtures.js';

const RUNS = 150;

describe('SparseMaxForest', () => {
  test('insert / remove / lowestAtLeast(Below) / rootMax match a map per tree, and freed nodes are reused', () => {
    const op = fc.record({
      key: fc.nat(),
      tree: fc.nat(),
      value: fc.integer({ min: 0, max: 20 }),
      query: fc.integer({ min: 0, max: 22 }),
      bound: fc.integer({ min: 0, max: 72 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(op, { maxLength: 300 }),
        (keys, trees, ops) => {
          // A tiny node hint forces the pool to grow; reuse keeps it small.
          const forest = new SparseMaxForest(trees, keys, 1);
          const model = Array.from({ length: trees }, () => new Map<number, number>());
          const where = new Map<number, number>();
          for (const { key: k, tree: t, value, query, bound } of ops) {
            const key = k % keys;
            const tree = t % trees;
            const current = where.get(key);
            if (current === undefined) {
              forest.insert(tree, key, value);
              model[tree]!.set(key, value);
              where.set(key, tree);
            } else {
              forest.remove(current, key);
              model[current]!.delete(key);
              where.delete(key);
            }
            for (let b = 0; b < trees; b++) {
              const entries = [...model[b]!.entries()];
              assert.equal(
                forest.rootMax(b),
                entries.length === 0 ? -1 : Math.max(...entries.map(([, v]) => v)),
              );
              const lowest = entries.filter(([, v]) => v >= query).map(([key]) => key);
              assert.equal(forest.lowestAtLeast(b, query), lowest.length === 0 ? -1 : Math.min(...lowest));
              const below = lowest.filter((key) => key < bound);
              assert.equal(
                forest.lowestAtLeastBelow(b, query, bound),
                below.length === 0 ? -1 : Math.min(...below),
              );
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('BucketTree', () => {
  test('lowestAtLeast / highestAtLeast / countBelow match a scan', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ count: fc.integer({ min: 0, max: 3 }), max: fc.integer({ min: -1, max: 9 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 }), fc.integer({ min: -1, max: 9 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 45 }),
        fc.integer({ min: 0, max: 10 }),
        (leaves, updates, cores, memory) => {
          const tree = new BucketTree(leaves.length);
          const model = leaves.map((l) => ({ ...l }));
          model.forEach((l, b) => tree.setLeaf(b, l.count, l.max));
          tree.rebuild();
          for (const [b, delta, max] of updates) {
            const bucket = b % model.length;
            model[bucket]!.count += delta;
            model[bucket]!.max = max;
            tree.update(bucket, delta, max);
          }
          const ok = model.map((l, b) => (b >= cores && l.max >= memory ? b : -1)).filter((b) => b >= 0);
          assert.equal(tree.lowestAtLeast(cores, memory), ok.length === 0 ? -1 : Math.min(...ok));
          assert.equal(tree.highestAtLeast(cores, memory), ok.length === 0 ? -1 : Math.max(...ok));
          assert.equal(
            tree.countBelow(cores),
            model.slice(0, cores).reduce((sum, l) => sum + l.count, 0),
          );
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('WorkerIndex', () => {
  test('firstFit / bestFit / worstFit / capacityCounts match scans through random takes and releases', () => {
    const arbFleet = fc.array(
      fc.record({
        cores: fc.integer({ min: 0, max: 40 }),
        free: fc.integer({ min: 0, max: 40 }),
        memory: fc.integer({ min: 0, max: 8 }),
        ready: fc.boolean(),
      }),
      { maxLength: 40 },
    );
    const arbOps = fc.array(
      fc.record({
        cores: fc.integer({ min: 1, max: 12 }),
        memory: fc.integer({ min: 0, max: 4 }),
        release: fc.boolean(),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arbFleet, arbOps, (specs, ops) => {
        const workers = specs.map((s, i) =>
          aWorker({
            id: `w${i}`,
            cores: s.cores,
            freeCores: Math.min(s.free, s.cores),
            memoryBytes: s.memory,
            ready: s.ready,
          }),
        );
        const index = WorkerIndex.build(new SnapshotFacts(aSnapshot(workers)), { buckets: true });
        const taken: [number, number[], number][] = [];
        const free = workers.map((w) => w.freeCoreIds.length);
        const memory = workers.map((w) => w.freeMemoryBytes);
        for (const op of ops) {
          if (op.release && taken.length > 0) {
            const [w, ids, m] = taken.splice(op.cores % taken.length, 1)[0]!;
            index.release(w, ids, m);
            free[w]! += ids.length;
            memory[w]! += m;
            continue;
          }
          const fits = workers.map((w, i) => w.ready && free[i]! >= op.cores && memory[i]! >= op.memory);
          const feasible = fits.flatMap((ok, i) => (ok ? [i] : []));
          const byCores = [...feasible].sort((a, b) => free[a]! - free[b]! || a - b);
          const most = byCores.length === 0 ? -1 : free[byCores[byCores.length - 1]!]!;
          assert.equal(index.firstFit(op.cores, op.memory), feasible[0] ?? -1);
          assert.equal(index.bestFit(op.cores, op.memory), byCores[0] ?? -1);
          assert.equal(index.worstFit(op.cores, op.memory), feasible.find((i) => free[i] === most) ?? -1);
          const w = feasible[0];
          if (w === undefined) {
            const notReady = workers.filter((x) => !x.ready).length;
            const fewer = workers.filter((x, i) => x.ready && free[i]! < op.cores).length;
            assert.deepEqual(index.capacityCounts(op.cores), {
              notReady,
              fewerCores: fewer,
              lowMemory: workers.length - notReady - fewer,
            });
            continue;
          }
          taken.push([w, index.takeByRule(w, op.cores, op.memory), op.memory]);
          free[w]! -= op.cores;
          memory[w]! -= op.memory;
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('CoreBitset', () => {
  test('takeByRule follows the core rule on 1..100-core workers; release restores', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 100 })
          .chain((cores) =>
            fc.tuple(
              fc.constant(cores),
              fc.uniqueArray(fc.integer({ min: 0, max: cores - 1 }), { maxLength: cores }),
              fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 12 }),
            ),
          ),
        ([cores, freeIds, demands]) => {
          const free = [...freeIds].sort((a, b) => a - b);
          const bits = new CoreBitset(
            new SnapshotFacts(aSnapshot([aWorker({ id: 'w', cores, freeCores: free })])),
          );
          const model = new Set(free);
          const taken: number[][] = [];
          for (const k of demands) {
            if (model.size < k) continue;
            const expected = referenceCoreRule(model, k);
            const got = bits.takeByRule(0, k);
            assert.deepEqual(got, expected);
            for (const id of got) model.delete(id);
            taken.push(got);
            assert.equal(bits.freeCount[0], model.size);
          }
          for (const ids of taken) bits.release(0, ids);
          for (let id = 0; id < cores; id++)
            assert.equal(bits.isFree(0, id), free.includes(id), `core ${id}`);
          assert.equal(bits.freeCount[0], free.length);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });
});

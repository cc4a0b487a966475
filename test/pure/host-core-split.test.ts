/**
 * @module How the all-in-one's local Docker workers share the host's cores (issue 13, item 8):
 * disjoint slices covering every core, as even as possible; fewer workers than asked, one core
 * each, on a host with fewer cores than workers, said in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitHostCores } from '../../cli/host-core-split.js';
import { localWorkerOptions } from '../../cli/local-workers.js';
import { loadConfig } from '../../core/config/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('slices are disjoint, cover every core and differ by at most one core', () => {
  const cases: [number, number, number[][]][] = [
    [2, 2, [[0], [1]]],
    [
      8,
      2,
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
    ],
    [
      5,
      2,
      [
        [0, 1, 2],
        [3, 4],
      ],
    ],
    [
      7,
      3,
      [
        [0, 1, 2],
        [3, 4],
        [5, 6],
      ],
    ],
    [4, 1, [[0, 1, 2, 3]]],
  ];
  for (const [cores, workers, want] of cases) assert.deepEqual(splitHostCores(range(cores), workers), want);
  for (let cores = 1; cores <= 40; cores++) {
    for (let workers = 1; workers <= 12; workers++) {
      const slices = splitHostCores(range(cores), workers);
      assert.equal(slices.length, Math.min(cores, workers));
      assert.deepEqual(
        slices.flat(),
        range(cores),
        `${cores} cores / ${workers} workers cover each core once`,
      );
      const sizes = slices.map((s) => s.length);
      assert.ok(Math.min(...sizes) >= 1 && Math.max(...sizes) - Math.min(...sizes) <= 1);
    }
  }
});

test('fewer cores than workers: one core each, and one line says so', () => {
  assert.deepEqual(splitHostCores([0], 2), [[0]]);
  const keysDir = mkdtempSync(join(tmpdir(), 'rswarm-split-'));
  try {
    const config = loadConfig({ env: {}, overrides: { cluster: { keysDir, linkSecurity: 'plaintext' } } });
    const lines: string[] = [];
    const opts = localWorkerOptions(config, 'docker', 3, (l) => lines.push(l), [0, 1]);
    assert.deepEqual(
      opts.map((o) => [o.workerId, o.coreIds]),
      [
        ['local-1', [0]],
        ['local-2', [1]],
      ],
    );
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /3 local Docker workers asked for, but the host has 2 core\(s\): starting 2/,
    );
    // Every local worker carries the cluster id kept in keysDir (created on first use).
    const [first, second] = opts;
    assert.match(first?.clusterId ?? '', /^c[0-9a-f]{12}$/);
    assert.equal(second?.clusterId, first?.clusterId);
    const again = localWorkerOptions(config, 'docker', 2, () => assert.fail('no warning'), [0, 1, 2, 3]);
    assert.deepEqual(
      again.map((o) => o.coreIds),
      [
        [0, 1],
        [2, 3],
      ],
    );
    assert.equal(again[0]?.clusterId, first?.clusterId, 'the id is kept');
  } finally {
    rmSync(keysDir, { recursive: true, force: true });
  }
});

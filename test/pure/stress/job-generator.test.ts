/**
 * @module Job generator: the original's defaults, mixed sizes, names, determinism, recorded source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateJob } from '../../../core/job/index.js';
import { loadConfig } from '../../../core/config/index.js';
import {
  DEFAULT_IMAGE,
  generateWorkload,
  parseChoiceText,
  sessionId,
} from '../../../stress-client/generator/index.js';

const gen = (
  generator: Parameters<typeof generateWorkload>[0]['generator'],
  arrivalsMs = [0, 0, 1000],
  seed = 42,
) =>
  generateWorkload({
    kind: 'steady',
    params: { shape: { kind: 'steady' } },
    arrivalsMs,
    seed,
    ...(generator ? { generator } : {}),
  });

test("defaults are the original's: 4 tasks × 2 cores × 50m, sleep 5 on the test image", () => {
  const w = gen(undefined);
  assert.equal(w.jobs.length, 3);
  for (const j of w.jobs) {
    assert.equal(j.tasks.length, 4);
    for (const [k, t] of j.tasks.entries()) {
      assert.equal(t.name, `task${k + 1}`);
      assert.equal(t.cores, 2);
      assert.equal(t.memoryBytes, 50 * 1024 ** 2);
      assert.equal(t.runSeconds, 5);
      assert.equal(t.image, DEFAULT_IMAGE);
      assert.deepEqual(t.command, ['sleep', '5']);
    }
  }
  assert.equal(w.source.kind, 'steady');
  assert.equal(w.source.seed, 42);
  const g = w.source.params['generator'] as Record<string, unknown>;
  assert.equal(g['tasksPerJob'], 4);
  assert.equal(w.source.params['session'], sessionId(42));
});

test("the original's sleeper image becomes sleep <runSeconds> on the test image, and is recorded", () => {
  const w = gen({ image: 'aduermael/sleeper', runSeconds: 7 });
  assert.equal(w.jobs[0]!.tasks[0]!.image, DEFAULT_IMAGE);
  assert.deepEqual(w.jobs[0]!.tasks[0]!.command, ['sleep', '7']);
  assert.equal(
    (w.source.params['generator'] as Record<string, unknown>)['requestedImage'],
    'aduermael/sleeper',
  );
});

test('table: choice text', () => {
  assert.equal(parseChoiceText('2', '--cores'), 2);
  assert.deepEqual(parseChoiceText('1,2,4', '--cores'), [1, 2, 4]);
  assert.deepEqual(parseChoiceText('1-8', '--cores'), { min: 1, max: 8 });
  assert.deepEqual(parseChoiceText('50m,1g', '--memory', true), ['50m', '1g']);
  assert.throws(() => parseChoiceText('two', '--cores'), /--cores: "two"/);
  assert.throws(() => parseChoiceText('50m,', '--memory', true), /--memory/);
});

test('table: bad generator options name the field', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ cores: 0 }, /cores/],
    [{ cores: { min: 4, max: 2 } }, /cores/],
    [{ memory: '50 furlongs' }, /memory/],
    [{ tasksPerJob: [] }, /tasksPerJob/],
    [{ runSeconds: -1 }, /runSeconds/],
    [{ colour: 'red' }, /colour/],
  ];
  for (const [o, re] of bad) assert.throws(() => gen(o), re, JSON.stringify(o));
});

test('property: same seed → same workload; names unique, valid, sorted; mixed sizes within their choices', () => {
  const rules = loadConfig({ env: {} }).job;
  fc.assert(
    fc.property(
      fc.array(fc.nat(100_000), { maxLength: 40 }),
      fc.integer(),
      fc.constantFrom<number[] | { min: number; max: number }>([1, 2, 4], { min: 1, max: 8 }),
      (arrivals, seed, cores) => {
        const a = gen({ cores, tasksPerJob: { min: 1, max: 3 }, memory: ['50m', '1g'] }, arrivals, seed);
        assert.deepEqual(
          a,
          gen({ cores, tasksPerJob: { min: 1, max: 3 }, memory: ['50m', '1g'] }, arrivals, seed),
        );
        assert.equal(a.jobs.length, arrivals.length);
        assert.equal(new Set(a.jobs.map((j) => j.name)).size, a.jobs.length);
        for (let i = 1; i < a.jobs.length; i++) {
          const [p, q] = [a.jobs[i - 1]!, a.jobs[i]!];
          assert.ok(p.arrivalMs < q.arrivalMs || (p.arrivalMs === q.arrivalMs && p.name < q.name));
        }
        for (const j of a.jobs) {
          assert.match(j.name, /^job\d+-[0-9a-z]{6}-\d{6}$/);
          assert.ok(j.tasks.length >= 1 && j.tasks.length <= 3);
          for (const t of j.tasks) {
            assert.ok(
              Array.isArray(cores) ? cores.includes(t.cores) : t.cores >= cores.min && t.cores <= cores.max,
            );
            assert.ok([50 * 1024 ** 2, 1024 ** 3].includes(t.memoryBytes));
          }
          // Every generated job is a valid native API job.
          const body = {
            name: j.name,
            tasks: j.tasks.map((t) => ({
              name: t.name,
              image: t.image,
              cores: t.cores,
              memory: `${t.memoryBytes}b`,
              command: [...(t.command ?? [])],
              runSeconds: t.runSeconds,
            })),
          };
          const r = validateJob(body, { ...rules, maxBodyBytes: 1e6 }, { bodyBytes: 100 });
          assert.ok(r.ok, JSON.stringify(r));
        }
      },
    ),
    { numRuns: 50 },
  );
});

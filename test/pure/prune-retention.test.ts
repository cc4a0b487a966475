/**
 * @module Retention: cutoffs, the config section (defaults in one place, durations as text, bad
 * values named), and the prune pass on the in-memory stores: never a non-terminal job, never an
 * ended job whose task still runs, idempotent, and the pruner's lifecycle.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from '../../core/clock/fake-clock.js';
import { loadConfig, ConfigError } from '../../core/config/index.js';
import { pruneExpired, retentionCutoffs, type RetentionPolicy } from '../../core/control/index.js';
import { JOB_STATES, isTerminalJobState } from '../../core/job/job-state.js';
import { silentLogger } from '../../core/log/logger.js';
import { createMemoryStores } from '../../core/store/index.js';
import { RetentionPruner } from '../../global-manager/retention-pruner.js';
import { aJob, aSample, aTask } from '../support/store-contract.js';

const DAY = 86_400_000;
const POLICY: RetentionPolicy = { finishedJobsMs: 10, usageSamplesMs: 20, eventsMs: 30, componentsMs: 40 };

describe('retention cutoffs and config', () => {
  test('cutoffs are now minus each retention', () => {
    assert.deepEqual(retentionCutoffs(100, POLICY), {
      jobsBefore: 90,
      usageBefore: 80,
      eventsBefore: 70,
      componentsBefore: 60,
    });
  });

  test('defaults: 7 days of jobs, samples and events, a pass a minute', () => {
    const r = loadConfig({ env: {} }).retention;
    assert.deepEqual(r, {
      finishedJobsMs: 7 * DAY,
      usageSamplesMs: 7 * DAY,
      eventsMs: 7 * DAY,
      componentsMs: DAY,
      pruneIntervalMs: 60_000,
    });
  });

  test('durations as text; a bad one is named', () => {
    const r = loadConfig({
      env: {},
      overrides: { retention: { finishedJobsMs: '2h', usageSamplesMs: '1d' } },
    }).retention;
    assert.equal(r.finishedJobsMs, 2 * 3_600_000);
    assert.equal(r.usageSamplesMs, DAY);
    assert.throws(
      () => loadConfig({ env: {}, overrides: { retention: { eventsMs: 'soon' } } }),
      (err: unknown) =>
        err instanceof ConfigError && /retention\.eventsMs: "soon" is not a duration/.test(err.message),
    );
    assert.throws(
      () => loadConfig({ env: {}, overrides: { retention: { keepForever: true } as never } }),
      (err: unknown) =>
        err instanceof ConfigError && /retention: Unrecognized key.*keepForever/.test(err.message),
    );
  });
});

describe('pruneExpired on the in-memory stores', () => {
  const states = fc.constantFrom(...JOB_STATES);
  const taskStates = fc.constantFrom(
    'pending',
    'scheduled',
    'running',
    'finished',
    'failed',
    'lost',
    'cancelled' as const,
  );

  test('property: only ended jobs with every task ended and finished before the cutoff are deleted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            state: states,
            finishedAt: fc.option(fc.integer({ min: 0, max: 200 })),
            task: taskStates,
          }),
          { maxLength: 20 },
        ),
        async (specs) => {
          const s = createMemoryStores();
          const want: string[] = [];
          for (const [i, sp] of specs.entries()) {
            const name = `j${i}`;
            const task = aTask({
              state: sp.task,
              workerId: sp.task === 'pending' ? null : 'w1',
              coreIds: [],
            });
            await s.jobs.insert(aJob(name, { state: sp.state, finishedAt: sp.finishedAt, tasks: [task] }));
            const taskLive =
              task.workerId !== null && !['finished', 'failed', 'lost', 'cancelled'].includes(sp.task);
            const gone =
              isTerminalJobState(sp.state) && sp.finishedAt !== null && sp.finishedAt < 90 && !taskLive;
            if (!gone) want.push(name);
          }
          await pruneExpired(s, 100, POLICY);
          assert.deepEqual((await s.jobs.list({}, 100)).items.map((j) => j.name).sort(), want.sort());
          assert.deepEqual(await pruneExpired(s, 100, POLICY), {
            jobs: 0,
            usageSamples: 0,
            events: 0,
            components: 0,
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  test('the pruner: created → running → closed; pruneNow uses the clock; passes serialise', async () => {
    const s = createMemoryStores();
    const clock = new FakeClock(1000);
    await s.usage.append([aSample('w1', 950), aSample('w1', 990)]);
    const p = new RetentionPruner(
      { ...POLICY, pruneIntervalMs: 0 },
      { stores: s, clock, logger: silentLogger() },
    );
    assert.equal(p.getState(), 'created');
    p.run();
    assert.equal(p.getState(), 'running');
    assert.throws(() => p.run(), /RetentionPruner.run in state running/);
    const [a, b] = await Promise.all([p.pruneNow(), p.pruneNow()]);
    assert.equal(a.usageSamples + b.usageSamples, 1);
    assert.deepEqual(
      (await s.usage.range('w1', 0, 2000)).map((x) => x.at),
      [990],
    );
    await p.close();
    assert.equal(p.getState(), 'closed');
    await p.close();
  });
});

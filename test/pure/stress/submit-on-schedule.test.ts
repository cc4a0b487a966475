/**
 * @module Submission schedule (fake API, fake clock): arrival times respected, requests in flight
 * bounded, every job recorded (refusals with the server's code), native bodies valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig } from '../../../core/config/index.js';
import { validateJob } from '../../../core/job/index.js';
import { generateWorkload } from '../../../stress-client/generator/index.js';
import { nativeJob, submitOnSchedule, type RunClock } from '../../../stress-client/real-time/index.js';
import { FakeStressApi } from './fake-stress-api.js';

/** A clock that advances only when slept on. */
function fakeClock(): RunClock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
      await Promise.resolve();
    },
  };
}

const workload = (arrivalsMs: number[], seed = 1) =>
  generateWorkload({
    kind: 'steady',
    params: {},
    arrivalsMs,
    seed,
    generator: { tasksPerJob: { min: 1, max: 3 }, cores: [1, 2] },
  });

test('property: every job is sent at or after its arrival, in order, with at most `concurrency` in flight', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat(5000), { maxLength: 30 }),
      fc.integer({ min: 1, max: 5 }),
      async (arrivals, concurrency) => {
        const w = workload(arrivals);
        const api = new FakeStressApi();
        const clock = fakeClock();
        const records = await submitOnSchedule(w.jobs, api, { concurrency, nameSuffix: 'r1', clock });
        assert.equal(records.length, w.jobs.length);
        assert.ok(api.peakInFlight <= concurrency);
        records.forEach((r, i) => {
          assert.equal(r.job, w.jobs[i]);
          assert.ok(r.sentMs >= r.job.arrivalMs);
          assert.equal(r.clusterName, `${r.job.name}-r1`);
          assert.ok(r.outcome.ok);
        });
      },
    ),
    { numRuns: 40 },
  );
});

test('a held server: the next job waits for a free slot, then goes out late (time recorded)', async () => {
  const w = workload([0, 0, 0]);
  const api = new FakeStressApi(true);
  const clock = fakeClock();
  const done = submitOnSchedule(w.jobs, api, { concurrency: 2, nameSuffix: '', clock });
  await new Promise((r) => setImmediate(r));
  assert.equal(api.inFlight, 2);
  assert.equal(api.submitted.length, 0);
  while (!api.release()) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 10 && api.inFlight < 2; i++) await new Promise((r) => setImmediate(r));
  assert.equal(api.inFlight, 2, 'the third job took the freed slot');
  while (api.release() || api.inFlight > 0) await new Promise((r) => setImmediate(r));
  const records = await done;
  assert.equal(records.length, 3);
  assert.equal(api.peakInFlight, 2);
});

test('refusals are recorded with the code and message, never dropped', async () => {
  const w = workload([0, 100]);
  const api = new FakeStressApi();
  await submitOnSchedule(w.jobs, api, { concurrency: 1, nameSuffix: '', clock: fakeClock() });
  const again = await submitOnSchedule(w.jobs, api, { concurrency: 1, nameSuffix: '', clock: fakeClock() });
  assert.equal(again.length, 2);
  for (const r of again) {
    assert.equal(r.outcome.ok, false);
    assert.ok(!r.outcome.ok && r.outcome.code === 'JOB_EXISTS' && r.outcome.message.includes(r.job.name));
  }
});

test('native bodies of generated jobs validate as API jobs', () => {
  const rules = { ...loadConfig({ env: {} }).job, maxBodyBytes: 1e6 };
  for (const j of workload([0, 10, 20], 9).jobs) {
    const body = nativeJob(j, `${j.name}-abc`);
    const r = validateJob(body, rules, { bodyBytes: JSON.stringify(body).length });
    assert.ok(r.ok, JSON.stringify(r));
  }
});

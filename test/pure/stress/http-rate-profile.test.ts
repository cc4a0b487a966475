/**
 * @module The HTTP load shape's rate profiles (`rswarm stress http`): send times of steady, step
 * and burst profiles, fractional rates carried, the last partial second prorated, and bad values
 * refused naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  profileSeconds,
  requestTimes,
  resolveRateProfile,
} from '../../../stress-client/http-load/rate-profile.js';
import { profileOf } from '../../../cli/stress-http-command.js';

test('steady: rate × duration requests, spread evenly over each second', () => {
  const times = requestTimes(resolveRateProfile({ kind: 'steady', rate: 4, durationSeconds: 2 }));
  assert.deepEqual(times, [0, 250, 500, 750, 1000, 1250, 1500, 1750]);
});

test('steady: a fractional rate carries over (0.5 req/s: one request every other second)', () => {
  const times = requestTimes(resolveRateProfile({ kind: 'steady', rate: 0.5, durationSeconds: 6 }));
  assert.equal(times.length, 3);
  assert.deepEqual(
    times.map((t) => t % 1000),
    [0, 0, 0],
  );
});

test('steady: the last partial second is prorated', () => {
  const p = resolveRateProfile({ kind: 'steady', rate: 10, durationSeconds: 1.5 });
  const times = requestTimes(p);
  assert.equal(times.length, 15);
  assert.ok(times.every((t) => t < 1500));
});

test('step: each rate for stepSeconds, in order', () => {
  const p = resolveRateProfile({ kind: 'step', rates: [0, 5, 2], stepSeconds: 1 });
  assert.equal(profileSeconds(p), 3);
  const times = requestTimes(p);
  assert.equal(times.filter((t) => t < 1000).length, 0);
  assert.equal(times.filter((t) => t >= 1000 && t < 2000).length, 5);
  assert.equal(times.filter((t) => t >= 2000).length, 2);
});

test('burst: burstSize at once every burstEverySeconds from 0, on top of the base rate', () => {
  const p = resolveRateProfile({
    kind: 'burst',
    rate: 1,
    burstSize: 10,
    burstEverySeconds: 2,
    durationSeconds: 4,
  });
  const times = requestTimes(p);
  assert.equal(times.length, 4 + 20);
  assert.equal(times.filter((t) => t === 0).length, 11);
  assert.equal(times.filter((t) => t === 2000).length, 11);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
});

test('bad profiles are refused naming the field', () => {
  assert.throws(() => resolveRateProfile({ kind: 'steady', rate: -1 }), /rate profile: rate/);
  assert.throws(() => resolveRateProfile({ kind: 'step', rates: [] }), /rates/);
  assert.throws(() => resolveRateProfile({ kind: 'burst', burstSize: 0 }), /burstSize/);
});

test('flags become a profile: --rates, --step, --burst-size, --burst-every, --duration', () => {
  assert.deepEqual(profileOf({ profile: 'step', rates: '0,20,0', step: '5s' }), {
    kind: 'step',
    rates: [0, 20, 0],
    stepSeconds: 5,
  });
  assert.deepEqual(profileOf({ profile: 'burst', burstSize: '30', burstEvery: '2s', duration: '10s' }), {
    kind: 'burst',
    burstSize: 30,
    burstEverySeconds: 2,
    durationSeconds: 10,
  });
  assert.deepEqual(profileOf({ rate: '5' }), { kind: 'steady', rate: 5 });
  assert.throws(() => profileOf({ profile: 'ramp' }), /--profile: ramp/);
  assert.throws(() => profileOf({ profile: 'step', rates: '1,x' }), /--rates: x/);
});

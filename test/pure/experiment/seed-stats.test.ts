/**
 * @module Statistics over seeds: Student's t quantiles against published values, the mean's 95 %
 * interval, the exact sign test, paired differences, and the per-strategy aggregation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  meanInterval,
  pairedDifference,
  regularisedBeta,
  signTestP,
  tCdf,
  tQuantile,
} from '../../../stress-client/report/seed-stats.js';
import { FIGURES, formatDiff } from '../../../stress-client/report/seed-aggregate.js';
import { round4 } from '../../../stress-client/report/summary-json.js';

const near = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected}`);

describe("Student's t", () => {
  // Published two-sided 95 % (and one 90 %) critical values.
  const table: [number, number, number][] = [
    [0.975, 1, 12.706204736],
    [0.975, 2, 4.30265273],
    [0.975, 4, 2.776445105],
    [0.975, 9, 2.262157163],
    [0.975, 29, 2.045229642],
    [0.95, 10, 1.812461123],
    [0.975, 1e6, 1.959966],
  ];
  for (const [p, df, expected] of table) {
    test(`t(${p}, ${df}) = ${expected}`, () => near(tQuantile(p, df), expected, 2e-6, 'quantile'));
  }

  test('the incomplete beta and the CDF at known points; the quantile inverts the CDF', () => {
    near(regularisedBeta(0.5, 2, 3), 0.6875, 1e-12, 'I_0.5(2, 3)');
    near(tCdf(0, 5), 0.5, 1e-15, 'median');
    near(tQuantile(0.025, 4), -2.776445105, 2e-6, 'lower tail');
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (p, df) => {
          near(tCdf(tQuantile(p, df), df), p, 1e-9, `p=${p} df=${df}`);
        },
      ),
    );
  });

  test('bad arguments are refused', () => {
    assert.throws(() => tQuantile(1, 3), /p must be in \(0, 1\)/);
    assert.throws(() => tQuantile(0.9, 0), /df must be > 0/);
  });
});

describe('intervals and paired comparisons', () => {
  test('mean and 95 % interval of 1..5', () => {
    const m = meanInterval([1, 2, 3, 4, 5]);
    assert.equal(m.mean, 3);
    near(m.sd!, Math.sqrt(2.5), 1e-12, 'sd');
    const half = (2.776445105 * Math.sqrt(2.5)) / Math.sqrt(5);
    near(m.low!, 3 - half, 1e-6, 'low');
    near(m.high!, 3 + half, 1e-6, 'high');
    assert.deepEqual(meanInterval([7]), { n: 1, mean: 7, sd: null, low: null, high: null });
    assert.throws(() => meanInterval([]), /empty/);
  });

  test('an interval holds its mean and is symmetric about it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 30 }),
        (xs) => {
          const m = meanInterval(xs);
          assert.ok(m.low! <= m.mean + 1e-6 && m.mean <= m.high! + 1e-6);
          near(m.mean - m.low!, m.high! - m.mean, 1e-6 * (1 + Math.abs(m.high! - m.low!)), 'symmetric');
        },
      ),
    );
  });

  test('sign test: exact binomial, two-sided', () => {
    assert.equal(signTestP(0, 5), 2 / 32);
    assert.equal(signTestP(5, 5), 2 / 32);
    assert.equal(signTestP(1, 5), (2 * 6) / 32);
    assert.equal(signTestP(3, 6), 1);
    assert.equal(signTestP(0, 0), 1);
  });

  test('paired: per-seed differences, counts, nulls skipped', () => {
    const d = pairedDifference([10, 20, 30, null], [8, 20, 25, 1])!;
    assert.equal(d.n, 3);
    near(d.difference.mean, -7 / 3, 1e-12, 'mean difference');
    assert.deepEqual([d.lower, d.higher, d.ties], [2, 0, 1]);
    assert.equal(d.signTestP, 0.5);
    assert.equal(pairedDifference([null], [1]), null);
    const same = pairedDifference([1, 2, 3], [2, 3, 4])!;
    assert.equal(same.difference.low, 1);
    assert.equal(same.difference.high, 1);
  });

  test('differences: percentage points, units kept, no sign on a shown zero', () => {
    const figure = (key: string) => FIGURES.find((f) => f.key === key)!;
    assert.equal(formatDiff(figure('coreUtilisationPercent'), -2.345), '−2.3 pp');
    assert.equal(formatDiff(figure('fragmentedFreeCoresPercent'), -0.01), '0.0 pp');
    assert.equal(formatDiff(figure('waitP95Seconds'), 7200), '+2.0 h');
    assert.equal(formatDiff(figure('workersVsBoundRatio'), 1.049), '+1.05');
  });

  test('rounding to 4 significant digits; integers kept whole', () => {
    assert.deepEqual(
      [0.1 + 0.2, 12345.678, 8152, 0.000123456, -0, 2 / 3, 99.99999].map(round4),
      [0.3, 12350, 8152, 0.0001235, 0, 0.6667, 100],
    );
  });
});

/**
 * Statistics over repeated seeds: the mean with a 95 % confidence interval from Student's t
 * distribution, and the paired comparison of two strategies run on the same seeds (per-seed
 * differences, their mean and interval, and an exact two-sided sign test). Pure arithmetic, no
 * dependencies, so the numbers can be checked against published tables.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function regularisedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * regularisedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The `p`-quantile of Student's t with `df` degrees of freedom (bisection on {@link tCdf}, to
 * full double precision): tQuantile(0.975, 4) = 2.776445….
 * @throws RangeError unless 0 < p < 1 and df > 0
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`tQuantile: p must be in (0, 1) (got ${p})`);
  if (!(df > 0)) throw new RangeError(`tQuantile: df must be > 0 (got ${df})`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean, sample standard deviation and 95 % confidence interval of the mean. */
export interface MeanInterval {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); null for one value. */
  readonly sd: number | null;
  /** mean ∓ t(0.975, n − 1) · sd / √n; null for one value (no interval from one seed). */
  readonly low: number | null;
  readonly high: number | null;
}

/**
 * The mean of `values` with its 95 % t interval.
 * @throws RangeError for an empty list
 */
export function meanInterval(values: readonly number[]): MeanInterval {
  const n = values.length;
  if (n === 0) throw new RangeError('meanInterval of an empty list');
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n === 1) return { n, mean, sd: null, low: null, high: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = (tQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, low: mean - half, high: mean + half };
}

/**
 * Two-sided exact sign test: the probability, with no difference between the two, of a split at
 * least as uneven as `below` of `n` non-zero differences (ties are dropped before). 1 for n = 0.
 */
export function signTestP(below: number, n: number): number {
  if (n === 0) return 1;
  const k = Math.min(below, n - below);
  let tail = 0;
  let c = 1; // C(n, i)
  for (let i = 0; i <= k; i++) {
    tail += c;
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

/** Strategy B against A on the same seeds, for one figure. */
export interface PairedDifference {
  /** Seeds where both have the figure. */
  readonly n: number;
  /** Mean of B − A per seed, with its 95 % t interval. */
  readonly difference: MeanInterval;
  /** Seeds where B's figure is lower, higher, equal. */
  readonly lower: number;
  readonly higher: number;
  readonly ties: number;
  /** Exact two-sided sign test over the non-tied seeds. */
  readonly signTestP: number;
}

/**
 * The paired comparison of `b` against `a` (same index = same seed; nulls are skipped pairwise).
 * Null when no seed has both.
 */
export function pairedDifference(
  a: readonly (number | null)[],
  b: readonly (number | null)[],
): PairedDifference | null {
  const diffs: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    diffs.push(y - x);
  }
  if (diffs.length === 0) return null;
  const lower = diffs.filter((d) => d < 0).length;
  const higher = diffs.filter((d) => d > 0).length;
  return {
    n: diffs.length,
    difference: meanInterval(diffs),
    lower,
    higher,
    ties: diffs.length - lower - higher,
    signTestP: signTestP(lower, lower + higher),
  };
}

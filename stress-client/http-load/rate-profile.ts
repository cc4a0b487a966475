/**
 * Rate profiles of the HTTP load shape (`rswarm stress http`): requests per second over run time,
 * turned into request send times. Like the job load shapes, a profile only produces times;
 * sending and measuring are separate steps. Fractional rates carry over from second to second
 * ({@link carriedCounts}), so 0.5 req/s sends one request every other second.
 */
import { z } from 'zod';
import { parseInput } from '../load-shapes/parse-input.js';
import { carriedCounts } from '../load-shapes/turn-counts.js';

export { RATE_PROFILE_KINDS } from './rate-profile-kinds.js';

const rate = z.number().finite().nonnegative();
const seconds = z.number().finite().positive().max(86_400);

/**
 * A rate profile, validated:
 * - `steady`: `rate` requests/s for `durationSeconds`;
 * - `step`: each rate of `rates` in turn for `stepSeconds` (a step load: `0,20,0`);
 * - `burst`: `rate` requests/s plus `burstSize` requests at once every `burstEverySeconds`,
 *   the first at t = 0 (a cold start under a crowd).
 */
export const rateProfileSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('steady'), rate: rate.default(10), durationSeconds: seconds.default(30) }),
  z.strictObject({
    kind: z.literal('step'),
    rates: z.array(rate).min(1).max(10_000),
    stepSeconds: seconds.default(10),
  }),
  z.strictObject({
    kind: z.literal('burst'),
    rate: rate.default(0),
    burstSize: z.number().int().positive().max(100_000).default(50),
    burstEverySeconds: seconds.default(10),
    durationSeconds: seconds.default(30),
  }),
]);
/** A validated rate profile. */
export type RateProfile = z.output<typeof rateProfileSchema>;
/** A rate profile as given (defaults optional). */
export type RateProfileInput = z.input<typeof rateProfileSchema>;

/** A run asking for more requests than this is refused (a typo, not an experiment). */
export const MAX_REQUESTS = 1_000_000;

/** Validates a profile. @throws AppError naming the field */
export function resolveRateProfile(input: RateProfileInput | Record<string, unknown>): RateProfile {
  return parseInput(rateProfileSchema, input, 'rate profile');
}

/** The profile's length in seconds. */
export function profileSeconds(p: RateProfile): number {
  return p.kind === 'step' ? p.rates.length * p.stepSeconds : p.durationSeconds;
}

/** Requests per second the profile asks for during second `s` (excluding bursts). */
function rateAt(p: RateProfile, s: number): number {
  if (p.kind === 'step') return p.rates[Math.min(p.rates.length - 1, Math.floor(s / p.stepSeconds))] ?? 0;
  return p.rate;
}

/**
 * Send times (ms after the start, ascending) of `p`: each second's whole count spread evenly over
 * that second (an open-loop client, not a burst per second); bursts at k × burstEverySeconds.
 * @throws RangeError when more than {@link MAX_REQUESTS} would be sent
 */
export function requestTimes(p: RateProfile): number[] {
  const total = profileSeconds(p);
  const whole = Math.ceil(total - 1e-9);
  // The last second may be partial: its rate is prorated.
  const perSecond = carriedCounts(
    Array.from({ length: whole }, (_, s) => rateAt(p, s) * Math.min(1, total - s)),
  );
  const times: number[] = [];
  const push = (ms: number): void => {
    if (times.length >= MAX_REQUESTS) throw new RangeError(`more than ${MAX_REQUESTS} requests`);
    times.push(ms);
  };
  perSecond.forEach((n, s) => {
    const span = 1000 * Math.min(1, total - s);
    for (let j = 0; j < n; j++) push(Math.round(s * 1000 + (j * span) / n));
  });
  if (p.kind === 'burst')
    for (let at = 0; at < total; at += p.burstEverySeconds)
      for (let j = 0; j < p.burstSize; j++) push(Math.round(at * 1000));
  return times.sort((a, b) => a - b);
}

/**
 * What a trace replay does with rows the scheduler cannot take as they are: a pod or task that
 * never ends within the trace (no deletion time, no end event) and a node under one core (a
 * worker offers whole cores). Defaults: open-ended work runs until the trace's last timestamp,
 * tiny nodes are dropped; both counts go into the workload's source params.
 */
import { parseDurationMs } from '../../core/config/parse-duration.js';
import { AppError } from '../../core/errors/index.js';

/** Work without an end: dropped, run until the trace's last timestamp, or run a fixed time. */
export type OpenEnded =
  | { readonly kind: 'drop' }
  | { readonly kind: 'until-end' }
  | { readonly kind: 'duration'; readonly seconds: number };

/** Nodes under one core: dropped, or given one core. */
export type TinyNodes = 'drop' | 'round-up';

/** `until-end`: a pod still running when the trace ends ran at least that long. */
export const DEFAULT_OPEN_ENDED: OpenEnded = { kind: 'until-end' };
/** `drop`: a node never offers a fraction of a core. */
export const DEFAULT_TINY_NODES: TinyNodes = 'drop';

/** @throws RangeError for a negative or non-finite duration */
export function checkOpenEnded(policy: OpenEnded): void {
  if (policy.kind === 'duration' && !(Number.isFinite(policy.seconds) && policy.seconds >= 0)) {
    throw new RangeError(`trace: an open-ended duration must be >= 0 s (got ${policy.seconds})`);
  }
}

/** `drop`, `until-end` or the duration as `<n>s` (what the source params record). */
export function describeOpenEnded(policy: OpenEnded): string {
  return policy.kind === 'duration' ? `${policy.seconds}s` : policy.kind;
}

/**
 * `--open-ended drop|until-end|<duration>` (a duration in trace time, e.g. 1h).
 * @throws AppError naming `flag`
 */
export function parseOpenEnded(text: string, flag = '--open-ended'): OpenEnded {
  const t = text.trim();
  if (t === 'drop' || t === 'until-end') return { kind: t };
  const ms = parseDurationMs(t);
  if (ms === undefined || ms < 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${flag}: "${text}" is not drop, until-end or a duration such as 1h or 90s`,
    );
  }
  return { kind: 'duration', seconds: ms / 1000 };
}

/** `--tiny-nodes drop|round-up`. @throws AppError naming `flag` */
export function parseTinyNodes(text: string, flag = '--tiny-nodes'): TinyNodes {
  const t = text.trim();
  if (t === 'drop' || t === 'round-up') return t;
  throw new AppError('VALIDATION_FAILED', `${flag}: "${text}" is not drop or round-up`);
}

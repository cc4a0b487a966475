/**
 * A per-task value that is fixed, drawn from a list, or drawn from an integer range — the knob
 * that turns the original's identical tasks into mixed-size jobs (`--cores 1,2,4`, `--cores 1-8`).
 */
import { z } from 'zod';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { AppError } from '../../core/errors/index.js';

/** Fixed value, a list (uniform pick) or an inclusive integer range. */
export type Choice<T> = T | readonly T[] | { readonly min: number; readonly max: number };

/** A zod schema for a choice of numbers within `item`'s bounds. */
export function numberChoiceSchema(item: z.ZodNumber) {
  return z.union([
    item,
    z.array(item).min(1),
    z
      .strictObject({ min: item, max: item })
      .refine((r) => r.min <= r.max && Number.isInteger(r.min) && Number.isInteger(r.max), {
        message: 'a range needs whole numbers with min ≤ max',
      }),
  ]);
}

/** Draws one value of `choice`; a fixed value consumes no randomness. */
export function drawChoice(rng: RandomGenerator, choice: Choice<number>): number;
export function drawChoice(rng: RandomGenerator, choice: Choice<string>): string;
export function drawChoice(rng: RandomGenerator, choice: Choice<number> | Choice<string>): number | string {
  if (Array.isArray(choice)) return choice[uniformInt(rng, 0, choice.length - 1)] as number | string;
  if (typeof choice === 'object') {
    const r = choice as { readonly min: number; readonly max: number };
    return uniformInt(rng, r.min, r.max);
  }
  return choice;
}

/**
 * Parses command-line text: `"2"`, `"1,2,4"` or `"1-8"` (numbers), or `"50m,1g"` (strings when
 * `asText`).
 * @throws AppError `VALIDATION_FAILED` naming `field`
 */
export function parseChoiceText(
  text: string,
  field: string,
  asText = false,
): Choice<number> | Choice<string> {
  const t = text.trim();
  if (asText) {
    const items = t.split(',').map((s) => s.trim());
    if (items.some((s) => s === ''))
      throw new AppError('VALIDATION_FAILED', `${field}: "${text}" has an empty item`);
    return items.length === 1 ? (items[0] as string) : items;
  }
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(t);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  const items = t.split(',').map((s) => Number(s.trim()));
  if (t === '' || items.some((n) => !Number.isFinite(n))) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${field}: "${text}" is not a number, a list such as 1,2,4 or a range such as 1-8`,
    );
  }
  return items.length === 1 ? (items[0] as number) : items;
}

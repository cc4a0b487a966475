const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `"250ms"`, `"5s"`, `"1.5m"`, `"2h"`, `"1d"` or a bare number of milliseconds.
 * @returns milliseconds (rounded), or undefined when the text is not a duration
 */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'ms').toLowerCase();
  return Math.round(Number(m[1]) * (UNIT_MS[unit] ?? 1));
}

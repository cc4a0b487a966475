const UNIT_BYTES: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a Docker-style memory size: a number and an optional unit `b`, `k`, `m` or `g`, in any
 * case, with or without a trailing `b` ("50m", "50M", "50mb", "1.5g", "512KB", "1048576").
 * Units are binary (k = 1024), as Docker's. Fractions round down to whole bytes.
 * @returns bytes, or undefined when the text is not a size
 */
export function parseMemorySize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg])?b?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const bytes = Math.floor(Number(m[1]) * (UNIT_BYTES[unit] ?? 1));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Formats bytes as the largest exact Docker unit ("50m", "1g", "1536k"). */
export function formatMemorySize(bytes: number): string {
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}

/** Largest core id accepted in a cpuset; far above any real machine, it bounds parsing work. */
export const MAX_CORE_ID = 4095;

/**
 * Parses a Linux/Docker cpuset list ("0,3", "0-3", "0-2,7") into sorted, distinct core ids.
 * @returns the ids, or undefined when the text is malformed, a range is reversed, an id repeats
 * or exceeds {@link MAX_CORE_ID}
 */
export function parseCpuset(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const ids = new Set<number>();
  for (const part of trimmed.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > MAX_CORE_ID) return undefined;
    for (let id = lo; id <= hi; id++) {
      if (ids.has(id)) return undefined;
      ids.add(id);
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/** Formats core ids as Docker's `--cpuset-cpus` value, compressing runs ("0-3,6"). */
export function formatCpuset(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

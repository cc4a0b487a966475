import type { AbstractCursor } from 'mongodb';

/**
 * A cursor's documents one server batch at a time, calling `onRoundTrip` before each fetch (the
 * initial find and every getMore), so adapters can count round trips exactly.
 */
export async function* cursorPages<D>(
  cursor: AbstractCursor<D>,
  onRoundTrip: () => void,
): AsyncIterable<D[]> {
  try {
    for (;;) {
      if (cursor.bufferedCount() === 0) {
        if (cursor.closed) return;
        onRoundTrip();
      }
      if (!(await cursor.hasNext())) return;
      yield cursor.readBufferedDocuments();
    }
  } finally {
    await cursor.close();
  }
}

/** Splits `docs` into insertMany calls of at most `maxDocs` documents and about `maxBytes`. */
export function insertGroups<D>(
  docs: readonly D[],
  size: (doc: D) => number,
  maxDocs: number,
  maxBytes: number,
): D[][] {
  const groups: D[][] = [];
  let group: D[] = [];
  let bytes = 0;
  for (const doc of docs) {
    const n = size(doc);
    if (group.length > 0 && (group.length >= maxDocs || bytes + n > maxBytes)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(doc);
    bytes += n;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

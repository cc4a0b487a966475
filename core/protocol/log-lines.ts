import type { LogChunk, LogCursor, LogLine } from './messages.js';

/**
 * Pure pieces of reading a task's log in chunks (the `logs` worker command): lines carry the
 * engine's timestamp, a cursor says where a reader stands, a byte cap bounds each answer. The
 * worker runtimes (Docker, simulated) and the FrontEnd's follow loop share them.
 */

/** Nanosecond RFC 3339 (`2026-12-02T22:30:01.123456789Z`), the form Docker's log timestamps take. */
const NANO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** `ms` (unix milliseconds) as a nanosecond RFC 3339 timestamp, as Docker writes them. */
export function nanoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * A timestamp in the fixed nine-digit form, so timestamps compare as strings; undefined when it
 * is not a UTC RFC 3339 time.
 */
export function normaliseTimestamp(at: string): string | undefined {
  const m = NANO_TIME.exec(at);
  if (!m) return undefined;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** Docker's `since` for a timestamp: `<unix seconds>.<nanoseconds>` (the engine's own form). */
export function dockerSince(at: string): string {
  const m = NANO_TIME.exec(at);
  if (!m) return '0';
  const seconds = Math.floor(Date.parse(`${m[1]}Z`) / 1000);
  return `${seconds}.${(m[2] ?? '').padEnd(9, '0')}`;
}

/**
 * Splits text the engine wrote with timestamps (`<RFC 3339 nano> <line>\n` per line) into lines.
 * A piece without a timestamp (a line longer than the engine's buffer, continued) is kept with
 * the timestamp of the line before it; a final piece without newline is a line too.
 */
export function parseTimestampedLines(text: string, stream: LogLine['stream']): LogLine[] {
  const out: LogLine[] = [];
  const pieces = text.split('\n');
  if (pieces[pieces.length - 1] === '') pieces.pop();
  for (const piece of pieces) {
    const space = piece.indexOf(' ');
    const at = space > 0 ? normaliseTimestamp(piece.slice(0, space)) : undefined;
    if (at) out.push({ at, stream, text: piece.slice(space + 1).replace(/\r$/, '') });
    else if (out.length > 0 || piece !== '')
      out.push({ at: out[out.length - 1]?.at ?? nanoTimestamp(0), stream, text: piece });
  }
  return out;
}

/** The lines strictly after `cursor` (lines are in timestamp order). */
export function linesAfter(lines: readonly LogLine[], cursor: LogCursor | undefined): LogLine[] {
  if (!cursor) return [...lines];
  let skip = cursor.skip;
  const out: LogLine[] = [];
  for (const l of lines) {
    if (l.at < cursor.at) continue;
    if (l.at === cursor.at && skip > 0) {
      skip--;
      continue;
    }
    out.push(l);
  }
  return out;
}

/** UTF-8 bytes of one line as written out (text and newline). */
function lineBytes(l: LogLine): number {
  return Buffer.byteLength(l.text, 'utf8') + 1;
}

/**
 * The first lines within `maxBytes` (always at least one line; a single longer line is cut to
 * the cap), and whether lines were left out.
 */
export function capLines(lines: readonly LogLine[], maxBytes: number): { lines: LogLine[]; more: boolean } {
  const out: LogLine[] = [];
  let bytes = 0;
  for (const l of lines) {
    const n = lineBytes(l);
    if (out.length > 0 && bytes + n > maxBytes) return { lines: out, more: true };
    out.push(
      n > maxBytes
        ? {
            ...l,
            text: Buffer.from(l.text)
              .subarray(0, maxBytes - 1)
              .toString(),
          }
        : l,
    );
    bytes += n;
  }
  return { lines: out, more: false };
}

/** The cursor after reading `lines` from `from` (unchanged when no line was read). */
export function advanceCursor(from: LogCursor | undefined, lines: readonly LogLine[]): LogCursor | null {
  const last = lines[lines.length - 1];
  if (!last) return from ?? null;
  let skip = from && from.at === last.at ? from.skip : 0;
  for (const l of lines) if (l.at === last.at) skip++;
  return { at: last.at, skip };
}

/** What a `logs` command asks, as the runtimes read it. */
export interface LogQuery {
  readonly after?: LogCursor | undefined;
  readonly sinceMs?: number | undefined;
  readonly tail?: number | undefined;
  readonly maxBytes: number;
}

/**
 * Answers a `logs` query from every line a task has (in order): after the cursor, or the last
 * `tail` lines at or after `sinceMs`, capped at `maxBytes`. The simulated runtime's whole
 * answer; the Docker runtime lets the engine do `since` and `tail` and uses the rest.
 */
export function chunkOf(all: readonly LogLine[], q: LogQuery, ended: boolean): LogChunk {
  let lines: LogLine[];
  if (q.after) lines = linesAfter(all, q.after);
  else {
    const since = q.sinceMs === undefined ? undefined : nanoTimestamp(q.sinceMs);
    lines = since === undefined ? [...all] : all.filter((l) => l.at >= since);
    if (q.tail !== undefined) lines = q.tail === 0 ? [] : lines.slice(-q.tail);
  }
  const capped = capLines(lines, q.maxBytes);
  // Lines of an unread tail before the chunk are skipped for good: the cursor starts at the chunk.
  return {
    lines: capped.lines,
    cursor: advanceCursor(q.after, capped.lines),
    more: capped.more,
    ended,
  };
}

/** The lines as text: one per line, each prefixed with its timestamp and a space when asked. */
export function formatLines(lines: readonly LogLine[], timestamps: boolean): string {
  let s = '';
  for (const l of lines) s += timestamps ? `${l.at} ${l.text}\n` : `${l.text}\n`;
  return s;
}

/**
 * Reads the REST `since` parameter: an RFC 3339 time (any offset) or unix seconds (fractions
 * allowed). @returns unix milliseconds, or undefined when it is neither
 */
export function parseSince(value: string): number | undefined {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.floor(Number(v) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Plain-text tables for people (kubectl's look: upper-case headers, columns padded by the widest
 * cell, three spaces apart) and the small formatters the commands share. Pure.
 */

/** Renders `rows` under `headers`; a missing or empty cell shows as `-`. Lines end without padding. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly (string | undefined)[])[],
): string {
  const cells = [
    headers.map((h) => h.toUpperCase()),
    ...rows.map((r) => headers.map((_, i) => cellText(r[i]))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] as string).length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

function cellText(c: string | undefined): string {
  // One line per row: newlines and tabs would break the columns; a blank cell shows as -.
  const text = (c ?? '').replace(/[\r\n\t]+/g, ' ').trim();
  return text === '' ? '-' : text;
}

/** Key/value lines (`Name:   web`), keys padded to the longest. */
export function renderFields(fields: readonly (readonly [string, string | undefined | null])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return fields
    .map(([k, v]) => `${(k + ':').padEnd(width)}  ${v === undefined || v === null || v === '' ? '-' : v}`)
    .join('\n');
}

/** Bytes in binary units, as Docker and Kubernetes print memory: `512Mi`, `1.5Gi`, `900B`. */
export function formatBytes(n: number | undefined | null): string {
  if (n === undefined || n === null) return '-';
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${text}${units[u]}`;
}

/** How long ago `iso` was, relative to `now` (ms): `42s`, `5m`, `3h`, `2d`; `-` without a time. */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** A clock time for event lines: `HH:MM:SS` (UTC, so logs of several machines line up). */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

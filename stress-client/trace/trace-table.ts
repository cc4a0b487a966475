/**
 * A trace file as a table whose columns a mapping names by header name or 0-based position,
 * any separator (or runs of whitespace), with checked field access: a bad field is refused by
 * file, line and column (`tasks.csv line 12, column cpu (#9): must be a number (got "x")`).
 */
import { parse } from 'csv-parse/sync';
import { AppError } from '../../core/errors/index.js';
import { traceFieldError, type NumberRule } from './trace-csv.js';

/** Mapping key → header name or 0-based position. */
export type ColumnMap = Readonly<Record<string, string | number | undefined>>;

/** Rows of one file with their columns resolved. */
export class TraceTable {
  private readonly records: string[][];
  private readonly lines: number[];
  private readonly index = new Map<string, number>();
  private readonly label = new Map<string, string>();

  /** @throws AppError `VALIDATION_FAILED` for text that is not CSV or a column it lacks */
  constructor(
    private readonly file: string,
    text: string,
    separator: string,
    header: boolean,
    columns: ColumnMap,
  ) {
    let rows: { record: string[]; line: number }[];
    if (separator === 'whitespace') {
      rows = [];
      for (const [i, raw] of text.split(/\r?\n/).entries()) {
        if (raw.trim() !== '') rows.push({ record: raw.trim().split(/\s+/), line: i + 1 });
      }
    } else {
      try {
        const parsed = parse(text, {
          delimiter: separator === '\\t' ? '\t' : separator,
          info: true,
          relax_column_count: true,
          skip_empty_lines: true,
          trim: true,
        }) as unknown as { record: string[]; info: { lines: number } }[];
        rows = parsed.map(({ record, info }) => ({ record, line: info.lines }));
      } catch (err) {
        const line = (err as { lines?: number }).lines ?? 0;
        throw new AppError(
          'VALIDATION_FAILED',
          `${file} line ${line}: not valid CSV (${(err as Error).message})`,
        );
      }
    }
    const names = header ? (rows.shift()?.record ?? []) : undefined;
    const missing: string[] = [];
    for (const [key, col] of Object.entries(columns)) {
      if (col === undefined) continue;
      if (typeof col === 'number') {
        this.index.set(key, col);
        this.label.set(key, `${key} (#${col})`);
        continue;
      }
      const at = names?.indexOf(col) ?? -1;
      if (at < 0) missing.push(col);
      this.index.set(key, at);
      this.label.set(key, col);
    }
    if (names === undefined && missing.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${file}: columns named ${missing.join(', ')} need a header row (header: true), or give positions`,
      );
    }
    if (missing.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${file} line 1: missing column(s) ${missing.join(', ')} (have ${(names ?? []).join(', ')})`,
      );
    }
    this.records = rows.map((r) => r.record);
    this.lines = rows.map((r) => r.line);
  }

  /** Number of data rows. */
  get rows(): number {
    return this.records.length;
  }

  /** 1-based line of row `r` in the file. */
  line(r: number): number {
    return this.lines[r]!;
  }

  private raw(r: number, key: string): string {
    const at = this.index.get(key);
    return at === undefined ? '' : (this.records[r]![at] ?? '').trim();
  }

  /** True when the field is empty or the row is too short. */
  isEmpty(r: number, key: string): boolean {
    return this.raw(r, key) === '';
  }

  /** A non-empty text field. */
  text(r: number, key: string): string {
    const v = this.raw(r, key);
    if (v === '') throw traceFieldError(this.file, this.line(r), this.label.get(key) ?? key, 'is empty');
    return v;
  }

  /** A finite number within the rule's bounds. */
  number(r: number, key: string, rule: NumberRule = {}): number {
    const v = this.raw(r, key);
    const n = v === '' ? Number.NaN : Number(v);
    const col = this.label.get(key) ?? key;
    if (!Number.isFinite(n)) {
      throw traceFieldError(this.file, this.line(r), col, `must be a number (got ${JSON.stringify(v)})`);
    }
    if (rule.min !== undefined && n < rule.min) {
      const bound = rule.minLabel !== undefined ? `${rule.minLabel} (${rule.min})` : String(rule.min);
      throw traceFieldError(this.file, this.line(r), col, `must be >= ${bound} (got ${v})`);
    }
    return n;
  }
}

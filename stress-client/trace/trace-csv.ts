/**
 * Reading a trace CSV with csv-parse, with typed field access that rejects a bad field by file,
 * line and column: a trace with one garbled row must fail loudly, not replay a different workload.
 */
import { parse } from 'csv-parse/sync';
import { AppError } from '../../core/errors/index.js';

/** Bounds for {@link TraceRow.number}. */
export interface NumberRule {
  /** Smallest allowed value (inclusive unless `exclusiveMin` is given). */
  readonly min?: number;
  /** The value must be greater than this. */
  readonly exclusiveMin?: number;
  /** Names `min` in the message when it comes from another column. */
  readonly minLabel?: string;
}

/** One data row: fields by column name, each read through a checked accessor. */
export interface TraceRow {
  /** 1-based line of the row in its file (the header is line 1). */
  readonly line: number;
  /** A non-empty text field. */
  text(column: string): string;
  /** True when the field is empty (or the column absent). */
  isEmpty(column: string): boolean;
  /** A finite number within the rule's bounds. */
  number(column: string, rule?: NumberRule): number;
}

/** The error for a bad field: `file line N, column C: …` (VALIDATION_FAILED). */
export function traceFieldError(file: string, line: number, column: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', `${file} line ${line}, column ${column}: ${problem}`, [
    { code: 'FIELD_FORMAT', pointer: `/${file}/${line}/${column}`, message: problem },
  ]);
}

interface ParsedRecord {
  readonly record: Record<string, string>;
  readonly info: { readonly lines: number };
}

/**
 * Parses `text` (with a header row) and checks that every `required` column is present.
 * @throws AppError `VALIDATION_FAILED` for a missing column or a row that is not CSV
 */
export function parseTraceCsv(file: string, text: string, required: readonly string[]): TraceRow[] {
  let records: ParsedRecord[];
  try {
    records = parse<ParsedRecord>(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      info: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? 0;
    throw new AppError(
      'VALIDATION_FAILED',
      `${file} line ${line}: not valid CSV (${(err as Error).message})`,
    );
  }
  const header = text
    .slice(0, text.indexOf('\n') >>> 0)
    .split(',')
    .map((h) => h.trim());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${file} line 1: missing column(s) ${missing.join(', ')} (have ${header.join(', ')})`,
    );
  }
  return records.map(({ record, info }) => rowOf(file, info.lines, record));
}

function rowOf(file: string, line: number, record: Record<string, string>): TraceRow {
  const raw = (column: string): string => record[column] ?? '';
  return {
    line,
    isEmpty: (column) => raw(column) === '',
    text(column) {
      const value = raw(column);
      if (value === '') throw traceFieldError(file, line, column, 'is empty');
      return value;
    },
    number(column, rule = {}) {
      const value = raw(column);
      const n = value === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(n)) {
        throw traceFieldError(file, line, column, `must be a number (got ${JSON.stringify(value)})`);
      }
      if (rule.exclusiveMin !== undefined && !(n > rule.exclusiveMin)) {
        throw traceFieldError(file, line, column, `must be > ${rule.exclusiveMin} (got ${value})`);
      }
      if (rule.min !== undefined && n < rule.min) {
        const bound = rule.minLabel !== undefined ? `${rule.minLabel} (${rule.min})` : String(rule.min);
        throw traceFieldError(file, line, column, `must be >= ${bound} (got ${value})`);
      }
      return n;
    },
  };
}

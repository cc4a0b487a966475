/**
 * Reads a job document for `rswarm job run -f FILE`: JSON or YAML, native or original format
 * (the API tells them apart). A file that is missing or does not parse is a usage error (exit 2)
 * naming the file, the line and the column.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { CliError, EXIT } from './exit-codes.js';

/** The parsed document in `text`; `file` names it in errors. */
export function parseJobDocument(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  if (extname(file).toLowerCase() === '.json') {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new CliError(EXIT.usage, `${file}: invalid JSON: ${(err as Error).message}`);
    }
  } else {
    const parsed = parseDocument(text, { prettyErrors: true });
    const first = parsed.errors[0];
    if (first) {
      const at = first.linePos?.[0];
      throw new CliError(
        EXIT.usage,
        `${file}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`,
      );
    }
    doc = parsed.toJS();
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new CliError(
      EXIT.usage,
      `${file}: a job document is a mapping (native: name, tasks; original: job_name, job_info)`,
    );
  return doc as Record<string, unknown>;
}

/** Reads and parses `file` (relative to `cwd`; `-` is stdin, JSON or YAML). */
export function readJobFile(file: string, cwd: string, readStdin: () => string): Record<string, unknown> {
  if (file === '-') return parseJobDocument(readStdin(), '(stdin)');
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      EXIT.usage,
      code === 'ENOENT'
        ? `${file}: no such file`
        : `${file}: cannot read (${code ?? (err as Error).message})`,
    );
  }
  return parseJobDocument(text, file);
}

/** The job's name in a document of either format (for messages before the API answers). */
export function jobNameOf(doc: Record<string, unknown>): string | undefined {
  const n = doc['job_name'] ?? doc['name'];
  return typeof n === 'string' ? n : undefined;
}

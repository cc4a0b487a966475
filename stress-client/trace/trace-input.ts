/**
 * Reading a trace's input files, recording each by name, size and SHA-256 so every result says
 * exactly which files it replayed, and refusing a missing or unreadable file with one line that
 * names the option that chose it (not a bare ENOENT).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../core/errors/index.js';
import type { TraceInput } from '../workload.js';

/** A file read for a trace, with its record. */
export interface ReadInput {
  readonly text: string;
  readonly input: TraceInput;
}

/** The record of `text` read from `file` in the given role. */
export function inputRecord(role: TraceInput['role'], file: string, text: string): TraceInput {
  return {
    role,
    file: path.basename(file),
    path: path.resolve(file),
    bytes: Buffer.byteLength(text, 'utf8'),
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
  };
}

/**
 * Reads `file` as UTF-8.
 * @param option the flag (or setting) that named the file, e.g. `--trace-file`
 * @throws AppError `VALIDATION_FAILED`: `--trace-file: /abs/tasks.csv does not exist`
 */
export async function readTraceInput(
  role: TraceInput['role'],
  file: string,
  option: string,
): Promise<ReadInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'EACCES'
            ? 'cannot be read (permission denied)'
            : `cannot be read (${code ?? (err as Error).message})`;
    throw new AppError('VALIDATION_FAILED', `${option}: ${path.resolve(file)} ${problem}`);
  }
  return { text, input: inputRecord(role, file, text) };
}

/**
 * Validation of experiment inputs (load-shape parameters, generator options, original config
 * files) with zod, turned into one `VALIDATION_FAILED` error whose message names every bad field:
 * a typo in a config file must stop the run before anything is submitted.
 */
import type { z } from 'zod';
import { AppError, type FieldIssue } from '../../core/errors/index.js';

function issueCode(issue: z.core.$ZodIssue): FieldIssue['code'] {
  switch (issue.code) {
    case 'unrecognized_keys':
      return 'FIELD_UNKNOWN';
    case 'invalid_type':
      return /received undefined/.test(issue.message) ? 'FIELD_REQUIRED' : 'FIELD_TYPE';
    case 'too_small':
    case 'too_big':
      return 'FIELD_RANGE';
    case 'invalid_value':
      return 'FIELD_ENUM';
    default:
      return 'FIELD_FORMAT';
  }
}

/**
 * Parses `value` with `schema`.
 * @param label what is being read (a file name or `--option` group), prefixed to every field
 * @throws AppError `VALIDATION_FAILED`, message `label: field: problem; …`
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details: FieldIssue[] = r.error.issues.map((i) => {
    const field = i.path.map(String).join('.') || '(root)';
    return {
      code: issueCode(i),
      pointer: '/' + i.path.map(String).join('/'),
      message: `${field}: ${i.message}`,
    };
  });
  throw new AppError('VALIDATION_FAILED', `${label}: ${details.map((d) => d.message).join('; ')}`, details);
}

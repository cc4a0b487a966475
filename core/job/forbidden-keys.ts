import { jsonPointer, type FieldIssue } from '../errors/index.js';

/** Deepest nesting scanned; a body deeper than this is refused rather than walked. */
const MAX_DEPTH = 32;

/**
 * Maps whose keys are host paths (docker-py `volumes`): their keys may contain dots (`/data/v1.2`),
 * as they are never stored as keys (the normalised job holds volumes as a list); `$` and NUL are
 * still refused, and `..` segments are refused by the volume check.
 */
const PATH_KEYED = 'volumes';

/**
 * Finds keys that MongoDB cannot store safely or that could be read as operators: keys starting
 * with `$` or containing `.` (or NUL), anywhere in the document (dots allowed in host-path keys,
 * see {@link PATH_KEYED}). Stored documents must never be able to smuggle an update operator or a
 * dotted path.
 */
export function findForbiddenKeys(
  value: unknown,
  pointer = '',
  depth = 0,
  out: FieldIssue[] = [],
  dotsAllowed = false,
): FieldIssue[] {
  if (typeof value !== 'object' || value === null) return out;
  if (depth > MAX_DEPTH) {
    out.push({
      code: 'FIELD_RANGE',
      pointer,
      message: `${pointer || 'the body'} nests deeper than ${MAX_DEPTH} levels`,
    });
    return out;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => findForbiddenKeys(v, pointer + jsonPointer(i), depth + 1, out));
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    const here = pointer + jsonPointer(key);
    if (key.startsWith('$') || (key.includes('.') && !dotsAllowed) || key.includes('\0')) {
      out.push({
        code: 'KEY_FORBIDDEN',
        pointer: here,
        message: `key "${key}" is not allowed: keys may not start with "$" or contain "." or NUL`,
      });
    }
    findForbiddenKeys(v, here, depth + 1, out, key === PATH_KEYED && !Array.isArray(v));
  }
  return out;
}

/**
 * Stable codes for one problem with one field of a request, each reported with a JSON pointer
 * (RFC 6901) to the field and a sentence. The set is mirrored by the `FieldIssueCode` enum in
 * openapi/openapi.yaml and checked by a test.
 */
export const FIELD_ISSUE_CODES = [
  'FIELD_REQUIRED',
  'FIELD_TYPE',
  'FIELD_UNKNOWN',
  'FIELD_ENUM',
  'FIELD_RANGE',
  'FIELD_FORMAT',
  'KEY_FORBIDDEN',
  'BODY_TOO_LARGE',
  'JOB_NO_TASKS',
  'TOO_MANY_TASKS',
  'CORES_INVALID',
  'MEMORY_INVALID',
  'TASK_KEY_MISMATCH',
  'NAME_INVALID',
  'NAME_COLLISION',
  'PORT_INVALID',
  'HOST_PORT_DUPLICATE',
  'VOLUME_INVALID',
  'VOLUME_FORBIDDEN',
  'COMMAND_INVALID',
  'ENV_INVALID',
  'CPUSET_INVALID',
  'PIN_INCOMPLETE',
  'NETWORK_INVALID',
  'STATUS_INVALID',
] as const;

/** One field-level validation problem code. */
export type FieldIssueCode = (typeof FIELD_ISSUE_CODES)[number];

/** One problem with one field: what, where (JSON pointer) and a readable sentence. */
export interface FieldIssue {
  readonly code: FieldIssueCode;
  /** RFC 6901 JSON pointer into the request body; `""` is the whole body. */
  readonly pointer: string;
  readonly message: string;
}

/** Builds an RFC 6901 JSON pointer from path segments, escaping `~` and `/`. */
export function jsonPointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

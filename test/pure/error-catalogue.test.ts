/**
 * @module The error catalogue and the OpenAPI spec name the same codes, in both directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE, ERROR_CODES, FIELD_ISSUE_CODES, AppError } from '../../core/errors/index.js';
import { loadSpec, specOperations } from '../../core/openapi/index.js';

const schemas = loadSpec().components.schemas as Record<string, { enum?: string[] }>;

test('every catalogue code is in the spec ErrorCode enum and vice versa', () => {
  assert.deepEqual([...(schemas['ErrorCode']?.enum ?? [])].sort(), [...ERROR_CODES].sort());
});

test('every field issue code is in the spec FieldIssueCode enum and vice versa', () => {
  assert.deepEqual([...(schemas['FieldIssueCode']?.enum ?? [])].sort(), [...FIELD_ISSUE_CODES].sort());
});

test('every x-error-code used in the spec is a field issue code', () => {
  const used = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'x-error-code') used.add(String(x));
        walk(x);
      }
    }
  };
  walk(loadSpec());
  for (const code of used) assert.ok((FIELD_ISSUE_CODES as readonly string[]).includes(code), code);
});

test('every error status an operation declares maps to at least one catalogue code', () => {
  const statuses = new Set(Object.values(ERROR_CATALOGUE).map((e) => String(e.status)));
  const doc = loadSpec();
  for (const op of specOperations()) {
    const responses = (doc.paths[op.path]?.[op.method] as { responses: Record<string, unknown> }).responses;
    for (const status of Object.keys(responses).filter((s) => Number(s) >= 400)) {
      assert.ok(statuses.has(status), `${op.operationId} declares ${status}, which no catalogue code uses`);
    }
  }
});

test('AppError carries code, status and details into the body', () => {
  const err = new AppError('VALIDATION_FAILED', 'bad', [
    { code: 'CORES_INVALID', pointer: '/x', message: 'm' },
  ]);
  assert.deepEqual(err.toBody(), {
    error: {
      code: 'VALIDATION_FAILED',
      status: 400,
      message: 'bad',
      details: [{ code: 'CORES_INVALID', pointer: '/x', message: 'm' }],
    },
  });
  assert.equal(new AppError('JOB_NOT_FOUND').status, 404);
});

/**
 * @module The generated TypeScript types match the spec (no hand-kept copies drift).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderTypes } from '../../scripts/gen-openapi-types.js';
import { SPEC_PATH } from '../../core/openapi/index.js';

test('openapi/schema.d.ts is generated from the current openapi.yaml', async () => {
  const committed = readFileSync(SPEC_PATH.replace(/openapi\.yaml$/, 'schema.d.ts'), 'utf8');
  assert.equal(committed, await renderTypes(), 'stale: run `npm run gen:types`');
});

/**
 * @module Swagger that works (issue 13, item 7): the spec's server URL is relative, so Swagger UI's
 * "Try it out" calls the page's own origin on any host and port; the request examples Swagger UI
 * puts in the body by default (both job formats, a service) are accepted as they are by a real
 * FrontEnd; and every error example's `status` is the HTTP status it is listed under, with a code
 * the catalogue gives that status.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/errors/index.js';
import { loadSpec, specOperations, type OpenApiDocument } from '../../core/openapi/index.js';
import { startCluster, type Cluster } from '../support/control-plane-harness.js';

type Examples = Readonly<Record<string, { readonly value: unknown }>>;
interface MediaType {
  readonly schema?: { readonly $ref?: string };
  readonly examples?: Examples;
}
interface Operation {
  readonly requestBody?: { readonly content?: Readonly<Record<string, MediaType>> };
  readonly responses: Readonly<Record<string, unknown>>;
}

const spec: OpenApiDocument = loadSpec();
const components = spec.components as unknown as {
  responses: Record<string, { content?: Record<string, MediaType> }>;
};

function operation(operationId: string): { path: string; method: string; op: Operation } {
  const found = specOperations(spec).find((o) => o.operationId === operationId);
  assert.ok(found, `no operation ${operationId}`);
  return { path: found.path, method: found.method, op: spec.paths[found.path]?.[found.method] as Operation };
}

/** The named request examples of an operation's JSON body, in the order Swagger UI lists them. */
function requestExamples(operationId: string): [string, unknown][] {
  const examples = operation(operationId).op.requestBody?.content?.['application/json']?.examples ?? {};
  const out = Object.entries(examples).map(([name, e]): [string, unknown] => [name, e.value]);
  assert.ok(out.length > 0, `${operationId} has no request example`);
  return out;
}

/** The response object behind `ref` or inline. */
function resolveResponse(r: unknown): { content?: Record<string, MediaType> } {
  const ref = (r as { $ref?: string }).$ref;
  if (ref === undefined) return r as { content?: Record<string, MediaType> };
  const name = ref.replace('#/components/responses/', '');
  const resolved = components.responses[name];
  assert.ok(resolved, `unresolved ${ref}`);
  return resolved;
}

test('the server URL is relative: "Try it out" calls the origin that served the page', () => {
  assert.deepEqual(
    (spec['servers'] as { url: string }[]).map((s) => s.url),
    ['/'],
  );
});

test("every error response has examples whose status is the response's and whose code has it", () => {
  let checked = 0;
  for (const o of specOperations(spec)) {
    const op = spec.paths[o.path]?.[o.method] as Operation;
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) < 400) continue;
      const json = resolveResponse(r).content?.['application/json'];
      if (json?.schema?.$ref !== '#/components/schemas/ErrorResponse') continue; // /healthz's 503
      const examples = json.examples ?? {};
      assert.ok(Object.keys(examples).length > 0, `${o.operationId} ${status}: no error example`);
      for (const [name, e] of Object.entries(examples)) {
        const error = (e.value as { error: { status: number; code: ErrorCode } }).error;
        assert.equal(error.status, Number(status), `${o.operationId} ${status} example ${name}: status`);
        assert.equal(
          ERROR_CATALOGUE[error.code]?.status,
          Number(status),
          `${o.operationId} ${status}: ${error.code}`,
        );
        checked++;
      }
    }
  }
  assert.ok(checked > 50, `only ${checked} error examples checked`);
});

/** POSTs each example of `operationId` to a fresh control plane and expects one of `statuses`. */
function examplesAreAccepted(operationId: string, statuses: readonly number[]): void {
  describe(`${operationId}: Swagger UI's example bodies are accepted as they are`, () => {
    let cluster: Cluster;
    before(async () => {
      cluster = await startCluster({ workers: [{ workerId: 'w1' }, { workerId: 'w2' }] });
    });
    after(() => cluster.close());
    const { path, method } = operation(operationId);
    for (const [name, body] of requestExamples(operationId)) {
      test(`example "${name}"`, async () => {
        const res = await cluster.api(method.toUpperCase(), path, body);
        assert.ok(statuses.includes(res.status), `${operationId} "${name}": ${res.status} ${res.text}`);
      });
    }
  });
}

examplesAreAccepted('submitJob', [202]);
examplesAreAccepted('compatSubmitJob', [200]);
examplesAreAccepted('putService', [200, 201]);

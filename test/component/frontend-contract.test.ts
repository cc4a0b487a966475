/**
 * @module FrontEnd HTTP contract, in process: routes match the spec both ways, authentication,
 * spec-driven validation with field pointers, and no 500 for client mistakes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import { createApp, INFRASTRUCTURE_ROUTES } from '../../frontend/create-app.js';
import type { OperationHandlers } from '../../frontend/operation-handler.js';
import { specOperations } from '../../core/openapi/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { sampleJob, T1, TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'test-token';

/** Walks express's router stack and lists "METHOD /path" for every route the app serves. */
function routesOf(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: any[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods))
          if (m !== '_all') out.push(`${m.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as any).router.stack);
  return out;
}

const submitted: unknown[] = [];
const handlers: OperationHandlers = {
  submitJob: (req) => {
    submitted.push(req.job);
    return Promise.resolve({ status: 202, body: { name: req.job?.name, status: 'waiting' } });
  },
  compatSubmitJob: () => Promise.resolve({ status: 200, body: 'OK', contentType: 'text/plain' }),
  listJobs: (req) =>
    Promise.resolve({ status: 200, body: { items: [], nextCursor: null, query: req.query } }),
};

describe('FrontEnd contract', () => {
  let app: Express;
  let http: HttpHarness;
  before(async () => {
    app = createApp({ token: TOKEN, jobRules: TEST_RULES, logger: silentLogger(), handlers });
    http = await listen(app);
  });
  after(async () => http.close());

  test('every spec operation is routed, and every route is in the spec (or is infrastructure)', () => {
    const inCode = new Set(routesOf(app).filter((r) => !r.startsWith('USE ')));
    const inSpec = new Set(specOperations().map((o) => `${o.method.toUpperCase()} ${o.expressPath}`));
    const infra = new Set<string>(INFRASTRUCTURE_ROUTES);
    for (const r of inSpec) assert.ok(inCode.has(r), `spec route ${r} has no code`);
    for (const r of inCode)
      assert.ok(inSpec.has(r) || infra.has(r), `code route ${r} is not in openapi.yaml`);
  });

  test('401 without a token, and with a wrong one', async () => {
    const none = await http.request('GET', '/api/v1/jobs');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHORIZED');
    const wrong = await http.request('GET', '/api/v1/jobs', { token: 'nope' });
    assert.equal(wrong.status, 401);
  });

  test('open routes need no token', async () => {
    assert.equal((await http.request('GET', '/healthz')).status, 200);
    const spec = await http.request('GET', '/openapi.json');
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi, '3.1.0');
    const docs = await http.request('GET', '/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger/i);
    const metrics = await http.request('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /process_cpu/);
  });

  test('a valid job reaches the handler normalised', async () => {
    const res = await http.request('POST', '/api/v1/jobs', { token: TOKEN, body: sampleJob() });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.name, 'job1533585500968-1533585495');
    assert.equal((submitted.at(-1) as { tasks: unknown[] }).tasks.length, 2);
  });

  test('400 with the field pointer for a malformed job', async () => {
    const doc = sampleJob();
    doc['job_info'].tasks[T1].req_cores = 0;
    const res = await http.request('POST', '/api/v1/jobs', { token: TOKEN, body: doc });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      res.body.error.details.map((d: { code: string; pointer: string }) => [d.code, d.pointer]),
      [['CORES_INVALID', `/job_info/tasks/${T1}/req_cores`]],
    );
  });

  test('client mistakes never give a 500', async () => {
    const cases: [string, string, Parameters<HttpHarness['request']>[2], number, string][] = [
      [
        'POST',
        '/api/v1/jobs',
        { token: TOKEN, rawBody: '{"job_name":', headers: { 'content-type': 'application/json' } },
        400,
        'MALFORMED_JSON',
      ],
      [
        'POST',
        '/api/v1/jobs',
        { token: TOKEN, rawBody: 'job', headers: { 'content-type': 'text/plain' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'POST',
        '/api/v1/jobs',
        { token: TOKEN, body: { pad: 'x'.repeat(TEST_RULES.maxBodyBytes) } },
        413,
        'BODY_TOO_LARGE',
      ],
      ['POST', '/api/v1/jobs', { token: TOKEN }, 400, 'VALIDATION_FAILED'],
      ['POST', '/api/v1/jobs', { token: TOKEN, body: 42 }, 400, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/jobs?limit=0', { token: TOKEN }, 400, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/jobs?status=sleeping', { token: TOKEN }, 400, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/jobs/bad%20name', { token: TOKEN }, 400, 'VALIDATION_FAILED'],
      [
        'PUT',
        '/api/v1/scheduler',
        { token: TOKEN, body: { strategy: 'random-fit' } },
        400,
        'VALIDATION_FAILED',
      ],
      ['GET', '/RESTfulSwarm/FE/switch_scheduler/nope', { token: TOKEN }, 400, 'VALIDATION_FAILED'],
      ['GET', '/no/such/route', {}, 404, 'NOT_FOUND'],
    ];
    for (const [method, path, init, status, code] of cases) {
      const res = await http.request(method, path, init);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      assert.equal(res.body?.error?.code, code, `${method} ${path}`);
    }
  });

  test('query parameters are coerced and defaulted from the spec', async () => {
    const res = await http.request('GET', '/api/v1/jobs?status=waiting', { token: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.query, { status: 'waiting', limit: 100 });
  });

  test('the compatibility route answers the original plain OK', async () => {
    const res = await http.request('POST', '/RESTfulSwarm/FE/request_new_job', {
      token: TOKEN,
      body: sampleJob(),
    });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'OK');
  });

  test('an operation without an implementation answers 501 with its code', async () => {
    const res = await http.request('GET', '/api/v1/manager/consistency', { token: TOKEN });
    assert.equal(res.status, 501);
    assert.equal(res.body.error.code, 'NOT_IMPLEMENTED');
  });
});

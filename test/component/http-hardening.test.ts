/**
 * @module The FrontEnd's HTTP edge against a hostile client (issue 11): authentication before
 * the body is read, RFC 6750 challenges, security headers on the API and on Swagger UI, a limit
 * on failed authentications per client address, 405 with Allow, and the spec documenting every
 * error status the router can produce.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createApp } from '../../frontend/create-app.js';
import type { OperationHandlers } from '../../frontend/operation-handler.js';
import { ERROR_CATALOGUE } from '../../core/errors/index.js';
import { loadSpec, specOperations } from '../../core/openapi/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'hardening-token';

const handlers: OperationHandlers = {
  submitJob: (req) => Promise.resolve({ status: 202, body: { name: req.job?.name, status: 'waiting' } }),
  listJobs: () => Promise.resolve({ status: 200, body: { items: [], nextCursor: null } }),
};

/** A GET sent from a chosen loopback source address (another client, as the limiter sees it). */
function getFrom(
  url: string,
  localAddress: string,
  token: string,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'GET', localAddress, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function raw(
  url: string,
  init: RequestInit,
): Promise<{ status: number; headers: Headers; text: string; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  const body =
    (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, text, body };
}

describe('HTTP edge', () => {
  let http: HttpHarness;
  before(async () => {
    http = await listen(createApp({ token: TOKEN, jobRules: TEST_RULES, logger: silentLogger(), handlers }));
  });
  after(async () => http.close());

  test('bad JSON, an oversized body or a wrong media type without a token: 401, not 400/413/415', async () => {
    const badJson = await http.request('POST', '/api/v1/jobs', {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(badJson.status, 401, badJson.text);
    assert.equal(badJson.body.error.code, 'UNAUTHORIZED');
    const wrongToken = await http.request('POST', '/RESTfulSwarm/FE/request_new_job', {
      rawBody: 'not json at all',
      token: 'nope',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(wrongToken.status, 401, wrongToken.text);
    const big = await http.request('POST', '/api/v1/jobs', {
      rawBody: JSON.stringify({ pad: 'x'.repeat(TEST_RULES.maxBodyBytes * 2) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(big.status, 401, big.text);
    const media = await http.request('POST', '/api/v1/jobs', {
      rawBody: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(media.status, 401, media.text);
    // With the token, the same bad JSON is the client's mistake: 400 MALFORMED_JSON.
    const authed = await http.request('POST', '/api/v1/jobs', {
      rawBody: '{"name": ',
      token: TOKEN,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(authed.status, 400);
    assert.equal(authed.body.error.code, 'MALFORMED_JSON');
  });

  test('401 carries WWW-Authenticate: Bearer realm, with error="invalid_token" for a wrong token', async () => {
    const none = await raw(`${http.url}/api/v1/jobs`, {});
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="rswarm"');
    const wrong = await raw(`${http.url}/api/v1/jobs`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="rswarm", error="invalid_token"');
    const ok = await raw(`${http.url}/api/v1/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('www-authenticate'), null);
  });

  const SECURITY_HEADERS = [
    'content-security-policy',
    'x-content-type-options',
    'x-frame-options',
    'referrer-policy',
    'strict-transport-security',
    'cross-origin-opener-policy',
    'cross-origin-resource-policy',
  ];

  test('security headers on API answers, errors, open routes and /docs', async () => {
    for (const [path, init] of [
      ['/api/v1/jobs', { headers: { authorization: `Bearer ${TOKEN}` } }],
      ['/api/v1/jobs', {}],
      ['/healthz', {}],
      ['/openapi.json', {}],
      ['/docs', {}],
      ['/no/such/route', {}],
    ] as const) {
      const res = await raw(`${http.url}${path}`, init);
      for (const h of SECURITY_HEADERS) assert.ok(res.headers.get(h), `${path} (${res.status}) lacks ${h}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-powered-by'), null);
    }
    const csp = (await raw(`${http.url}/docs`, {})).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'plain HTTP: no forced upgrade');
  });

  test('/docs still serves Swagger UI under that policy: HTML, no inline script, every asset loads', async () => {
    const docs = await raw(`${http.url}/docs`, {});
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    assert.match(docs.text, /swagger-ui/i);
    // script-src 'self' blocks inline scripts: Swagger UI must load every script from a file.
    for (const m of docs.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g))
      assert.ok(
        /\ssrc=/.test(m[1] ?? '') && (m[2] ?? '').trim() === '',
        `inline script: ${m[0].slice(0, 80)}`,
      );
    const assets = [...docs.text.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((m) => m[1] as string)
      .filter((u) => !/^(https?:|data:|#)/.test(u));
    assert.ok(
      assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')),
      String(assets),
    );
    for (const a of assets) {
      const res = await raw(new URL(a, `${http.url}/docs/`).href, {});
      assert.equal(res.status, 200, `${a} → ${res.status}`);
      assert.ok(res.headers.get('content-security-policy'), `${a} lacks CSP`);
    }
    const init = await raw(`${http.url}/docs/swagger-ui-init.js`, {});
    assert.match(init.text, /RESTfulSwarm API/, 'the spec is embedded in a served script');
  });

  test('405 with Allow for an unserved method on a known path; unknown paths stay 404', async () => {
    for (const [method, path, allowed] of [
      ['DELETE', '/api/v1/jobs', ['GET', 'POST']],
      ['PUT', '/api/v1/jobs/some-job', ['GET', 'DELETE']],
      ['PATCH', '/api/v1/scheduler', ['GET', 'PUT']],
      ['POST', '/healthz', ['GET']],
      ['POST', '/RESTfulSwarm/FE/switch_scheduler/best-fit', ['GET']],
      ['GET', '/RESTfulSwarm/FE/request_new_job', ['POST']],
      ['DELETE', '/openapi.json', ['GET']],
    ] as const) {
      const res = await raw(`${http.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 405, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.error.code, 'METHOD_NOT_ALLOWED');
      const allow = (res.headers.get('allow') ?? '').split(/,\s*/);
      for (const m of allowed) assert.ok(allow.includes(m), `${method} ${path}: Allow ${allow.join(',')}`);
      assert.ok(!allow.includes(method), `${method} ${path}: Allow must not list ${method}`);
    }
    assert.equal((await raw(`${http.url}/api/v1/nothing-here`, { method: 'DELETE' })).status, 404);
    const head = await raw(`${http.url}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200, 'HEAD is served with GET');
  });
});

describe('failed-authentication limit', () => {
  const WINDOW_MS = 1500;
  const LIMIT = 3;
  let http: HttpHarness;
  // listWorkers answers once `release` is called: requests held in flight.
  let arrived = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  before(async () => {
    http = await listen(
      createApp({
        token: TOKEN,
        jobRules: TEST_RULES,
        logger: silentLogger(),
        handlers: {
          ...handlers,
          listWorkers: async () => {
            arrived++;
            await gate;
            return { status: 200, body: [] };
          },
        },
        authFailures: { limit: LIMIT, windowMs: WINDOW_MS },
      }),
    );
  });
  after(async () => http.close());

  test('requests with the right token in flight at once are never counted, however many', async () => {
    const n = LIMIT * 4;
    const answers = Array.from({ length: n }, () => http.request('GET', '/api/v1/workers', { token: TOKEN }));
    const deadline = Date.now() + 3000;
    while (arrived < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // All n are in flight now; one more from the same address still gets through.
    const more = await http.request('GET', '/api/v1/jobs', { token: TOKEN });
    release();
    assert.equal(more.status, 200, more.text);
    assert.deepEqual(
      (await Promise.all(answers)).map((a) => a.status),
      Array.from({ length: n }, () => 200),
    );
  });

  test('past N failures an address gets 429 with Retry-After; other addresses and the next window pass', async () => {
    // Successful requests and other errors are not failures: they never use the allowance up.
    for (let i = 0; i < LIMIT * 3; i++) {
      assert.equal((await http.request('GET', '/api/v1/jobs', { token: TOKEN })).status, 200);
      assert.equal((await http.request('GET', '/api/v1/jobs/x', { token: TOKEN })).status, 501);
    }
    const started = Date.now();
    for (let i = 0; i < LIMIT; i++)
      assert.equal((await http.request('GET', '/api/v1/jobs', { token: `guess-${i}` })).status, 401);
    const limited = await raw(`${http.url}/api/v1/jobs`, { headers: { authorization: 'Bearer guess-x' } });
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.body.error.code, 'TOO_MANY_AUTH_FAILURES');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= Math.ceil(WINDOW_MS / 1000), `Retry-After ${retryAfter}`);
    // The right token from the limited address is refused too: a 200 would confirm a guess.
    const sameClient = await raw(`${http.url}/api/v1/jobs`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(sameClient.status, 429);
    assert.ok(Date.now() - started < WINDOW_MS, 'the test ran inside one window');
    // Another client address keeps working.
    const other = await getFrom(`${http.url}/api/v1/jobs`, '127.0.0.2', TOKEN);
    assert.equal(other.status, 200);
    // Open routes are not limited.
    assert.equal((await http.request('GET', '/healthz')).status, 200);
    // After the window the address is welcome again.
    await new Promise((r) => setTimeout(r, WINDOW_MS - (Date.now() - started) + 100));
    assert.equal((await http.request('GET', '/api/v1/jobs', { token: TOKEN })).status, 200);
  });

  test('the default limit comes from the config schema', async () => {
    const { configSchema } = await import('../../core/config/index.js');
    const defaults = configSchema.parse({}).http.authFailures;
    assert.ok(defaults.limit > 0 && defaults.windowMs > 0);
  });
});

describe('the spec documents every error status the router produces', () => {
  const doc = loadSpec();
  const responsesOf = (path: string, method: string): Record<string, { $ref?: string }> =>
    (doc.paths[path]?.[method] as { responses: Record<string, { $ref?: string }> }).responses;

  test('401 and 429 (with their headers) on every secured operation', () => {
    for (const op of specOperations().filter((o) => o.secured)) {
      const r = responsesOf(op.path, op.method);
      assert.equal(r['401']?.$ref, '#/components/responses/Unauthorized', `${op.operationId} 401`);
      assert.equal(r['429']?.$ref, '#/components/responses/TooManyAuthFailures', `${op.operationId} 429`);
    }
    const responses = (doc as unknown as { components: { responses: Record<string, any> } }).components
      .responses;
    assert.ok(responses['Unauthorized']?.headers?.['WWW-Authenticate']);
    assert.ok(responses['TooManyAuthFailures']?.headers?.['Retry-After']);
  });

  test('400 wherever there are parameters or a body; 413 and 415 wherever there is a body', () => {
    for (const op of specOperations()) {
      const r = responsesOf(op.path, op.method);
      if (op.parameters.length > 0 || op.bodySchema)
        assert.ok(r['400'], `${op.operationId} validates its input but does not declare 400`);
      if (op.bodySchema) {
        assert.ok(r['413'], `${op.operationId} reads a body but does not declare 413`);
        assert.ok(r['415'], `${op.operationId} reads a body but does not declare 415`);
      }
    }
  });

  test('the catalogue has the codes of 405 and 429', () => {
    assert.equal(ERROR_CATALOGUE.METHOD_NOT_ALLOWED.status, 405);
    assert.equal(ERROR_CATALOGUE.TOO_MANY_AUTH_FAILURES.status, 429);
  });
});

/**
 * @module Requests malformed below the JSON level get a 400 with a catalogue code, never a 500
 * (found by the schemathesis pass, scripts/api-fuzz.sh, and by hand around it): a path parameter
 * that is not valid percent-encoding, and a compressed body that does not inflate.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { createApp } from '../../frontend/create-app.js';
import type { OperationHandlers } from '../../frontend/operation-handler.js';
import { silentLogger } from '../../core/log/logger.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'malformed-token';
const auth = { authorization: `Bearer ${TOKEN}` };

const handlers: OperationHandlers = {
  submitJob: (req) => Promise.resolve({ status: 202, body: { name: req.job?.name, status: 'waiting' } }),
  getJob: () => Promise.reject(new Error('the handler must not be reached')),
  getWorker: () => Promise.reject(new Error('the handler must not be reached')),
};

const JOB = {
  name: 'gz',
  tasks: [{ name: 'a', image: 'busybox', cores: 1, memory: '32m' }],
};

async function send(
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: { error?: { code: string; details?: { pointer: string }[] } } }> {
  const res = await fetch(url, init);
  const text = await res.text();
  assert.match(res.headers.get('content-type') ?? '', /json/, text);
  return { status: res.status, body: JSON.parse(text) as never };
}

describe('malformed requests', () => {
  let http: HttpHarness;
  before(async () => {
    http = await listen(createApp({ token: TOKEN, jobRules: TEST_RULES, logger: silentLogger(), handlers }));
  });
  after(async () => http.close());

  for (const path of [
    '/api/v1/jobs/%',
    '/api/v1/jobs/%E0%A4%A',
    '/api/v1/workers/%ZZ',
    '/RESTfulSwarm/FE/switch_scheduler/%E0',
  ]) {
    test(`GET ${path}: 400 VALIDATION_FAILED at /path`, async () => {
      const r = await send(http.url + path, { headers: auth });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error?.code, 'VALIDATION_FAILED');
      assert.equal(r.body.error?.details?.[0]?.pointer, '/path');
    });
  }

  for (const encoding of ['gzip', 'deflate', 'br']) {
    test(`a body that does not inflate as ${encoding}: 400 MALFORMED_JSON`, async () => {
      const r = await send(`${http.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': encoding },
        body: JSON.stringify(JOB),
      });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error?.code, 'MALFORMED_JSON');
    });
  }

  for (const [encoding, compress] of [
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
  ] as const) {
    test(`a ${encoding} body that inflates is still accepted`, async () => {
      const r = await send(`${http.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'content-encoding': encoding },
        body: compress(Buffer.from(JSON.stringify(JOB))),
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    });
  }
});

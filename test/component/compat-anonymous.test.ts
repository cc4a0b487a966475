/**
 * @module Anonymous access to the original's two routes (issue 14, item 6), in process: off by
 * default; when on, only requests without a token from loopback or a configured network, only on
 * `/RESTfulSwarm/FE/*`; a sent token is always checked; proxy headers are not believed. The
 * client address is the socket's peer (real loopback here), or one the test injects for the
 * other networks.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Request } from 'express';
import { createApp } from '../../frontend/create-app.js';
import type { OperationHandlers } from '../../frontend/operation-handler.js';
import type { CompatAccess } from '../../frontend/compat-access.js';
import { createLogger, silentLogger } from '../../core/log/logger.js';
import { loadConfig } from '../../core/config/index.js';
import { startControlPlane } from '../../cli/control-plane.js';
import { freshEndpoints } from '../support/control-plane-harness.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { sampleJob, TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'compat-token';
/** The test's stand-in for a peer on another network (its own seam, never a proxy header). */
const PEER_HEADER = 'x-test-peer';

const calls: string[] = [];
const handlers: OperationHandlers = {
  compatSubmitJob: (req) => {
    calls.push(`submit ${req.job?.name}`);
    return Promise.resolve({ status: 200, body: 'OK', contentType: 'text/plain' });
  },
  compatSwitchScheduler: (req) => {
    calls.push(`switch ${req.params['name']}`);
    return Promise.resolve({ status: 200, body: 'OK', contentType: 'text/plain' });
  },
  submitJob: () => Promise.resolve({ status: 202, body: {} }),
  getScheduler: () => Promise.resolve({ status: 200, body: { strategy: 'best-fit', available: [] } }),
};

async function serve(compat: CompatAccess | undefined, injectPeer = false): Promise<HttpHarness> {
  return listen(
    createApp({
      token: TOKEN,
      jobRules: TEST_RULES,
      logger: silentLogger(),
      handlers,
      authFailures: { limit: 1000, windowMs: 60_000 },
      ...(compat ? { compat } : {}),
      ...(injectPeer
        ? { clientAddress: (req: Request) => req.get(PEER_HEADER) ?? req.socket.remoteAddress }
        : {}),
    }),
  );
}

const submit = (h: HttpHarness, init: { token?: string; headers?: Record<string, string> } = {}) =>
  h.request('POST', '/RESTfulSwarm/FE/request_new_job', { body: sampleJob(), ...init });
const switchTo = (h: HttpHarness, init: { token?: string; headers?: Record<string, string> } = {}) =>
  h.request('GET', '/RESTfulSwarm/FE/switch_scheduler/first-fit', init);

describe('compat access off (the default)', () => {
  let h: HttpHarness;
  before(async () => (h = await serve(undefined)));
  after(async () => h.close());

  test('both original routes answer 401 without a token, from loopback too, and 200 with it', async () => {
    for (const r of [await submit(h), await switchTo(h)]) {
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
    }
    assert.equal((await submit(h, { token: TOKEN })).status, 200);
    assert.equal((await switchTo(h, { token: TOKEN })).status, 200);
  });

  test('explicitly off is the same', async () => {
    const off = await serve({ allowAnonymous: false, anonymousNetworks: ['0.0.0.0/0'] }, true);
    try {
      assert.equal((await submit(off, { headers: { [PEER_HEADER]: '10.1.1.1' } })).status, 401);
      assert.equal((await switchTo(off)).status, 401);
    } finally {
      await off.close();
    }
  });
});

describe('compat access on', () => {
  let h: HttpHarness;
  let injected: HttpHarness;
  const access: CompatAccess = { allowAnonymous: true, anonymousNetworks: ['10.0.0.0/8', 'fd00::/8'] };
  before(async () => {
    h = await serve(access);
    injected = await serve(access, true);
  });
  after(async () => Promise.all([h.close(), injected.close()]));

  test('from loopback (a real socket peer), both routes are let in without a token', async () => {
    calls.length = 0;
    const r = await submit(h);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'OK');
    assert.equal((await switchTo(h)).status, 200);
    assert.deepEqual(calls, ['submit job1533585500968-1533585495', 'switch first-fit']);
  });

  test('loopback in every form, and the configured networks, are let in; other networks get 401', async () => {
    const cases: [peer: string, status: number][] = [
      ['127.0.0.1', 200],
      ['::ffff:127.0.0.1', 200],
      ['::1', 200],
      ['10.20.30.40', 200],
      ['::ffff:10.20.30.40', 200],
      ['fd00::17', 200],
      ['192.0.2.7', 401],
      ['11.0.0.1', 401],
      ['2001:db8::1', 401],
    ];
    for (const [peer, status] of cases) {
      const headers = { [PEER_HEADER]: peer };
      const a = await submit(injected, { headers });
      const b = await switchTo(injected, { headers });
      assert.equal(a.status, status, `submit from ${peer}`);
      assert.equal(b.status, status, `switch from ${peer}`);
      if (status === 401) assert.match(a.text, /UNAUTHORIZED/);
    }
  });

  test('a peer outside the networks is not let in by an X-Forwarded-For naming loopback', async () => {
    const r = await submit(injected, {
      headers: { [PEER_HEADER]: '192.0.2.7', 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' },
    });
    assert.equal(r.status, 401);
  });

  test('every other route still needs the token, from loopback too', async () => {
    assert.equal((await h.request('POST', '/api/v1/jobs', { body: sampleJob() })).status, 401);
    assert.equal((await h.request('GET', '/api/v1/scheduler')).status, 401);
    assert.equal((await h.request('GET', '/api/v1/scheduler', { token: TOKEN })).status, 200);
  });

  test('a token that is sent is checked: a wrong one is 401 even from loopback, the right one works anywhere', async () => {
    const wrong = await submit(h, { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /not valid/);
    const far = { [PEER_HEADER]: '192.0.2.7' };
    assert.equal((await submit(injected, { token: TOKEN, headers: far })).status, 200);
  });

  test('validation still applies to anonymous requests', async () => {
    const r = await h.request('POST', '/RESTfulSwarm/FE/request_new_job', { body: { job_name: 'x' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    assert.equal((await h.request('GET', '/RESTfulSwarm/FE/switch_scheduler/no-such')).status, 400);
  });
});

test('a malformed network in the settings stops the app from being built', () => {
  assert.throws(
    () =>
      createApp({
        token: TOKEN,
        jobRules: TEST_RULES,
        logger: silentLogger(),
        handlers,
        compat: { allowAnonymous: true, anonymousNetworks: ['10.0.0.0/99'] },
      }),
    /anonymousNetworks/,
  );
});

test('a control plane with the setting on warns at start-up, naming the networks; with it off it does not', async () => {
  for (const allowAnonymous of [true, false]) {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const keysDir = mkdtempSync(join(tmpdir(), 'rswarm-compat-keys-'));
    const ep = await freshEndpoints();
    const config = loadConfig({
      env: {},
      overrides: {
        http: { port: 0, token: TOKEN },
        compat: { allowAnonymous, anonymousNetworks: ['10.0.0.0/8'] },
        cluster: {
          keysDir,
          managerEndpoint: ep.manager,
          enrolEndpoint: ep.enrol,
          discoveryEndpoint: ep.discovery,
          jobManagerEndpoint: ep.jobManager,
        },
      },
    });
    const plane = await startControlPlane(
      config,
      ['frontend', 'job-manager', 'global-manager', 'discovery'],
      createLogger('info', sink),
      { token: TOKEN },
    );
    await plane.close();
    rmSync(keysDir, { recursive: true, force: true });
    const warnings = lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; networks?: string[] })
      .filter((l) => l.msg.includes('compat.allowAnonymous'));
    if (!allowAnonymous) {
      assert.deepEqual(warnings, []);
      continue;
    }
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, 40, 'a warning');
    assert.deepEqual(warnings[0]?.networks, ['loopback', '10.0.0.0/8']);
  }
});

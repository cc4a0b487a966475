/**
 * @module The web dashboard's files at /ui on the FrontEnd, in process: the page and every module
 * it loads, with their content types, under the security policy (no inline script, scripts and
 * API calls from the page's own origin); unknown files 404; the page needs no token, the API does.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createApp } from '../../frontend/create-app.js';
import { DASHBOARD_DIR } from '../../frontend/dashboard-route.js';
import { silentLogger } from '../../core/log/logger.js';
import { listen, type HttpHarness } from '../support/http-harness.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'dashboard-token';

async function get(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('dashboard at /ui', () => {
  let http: HttpHarness;
  before(async () => {
    http = await listen(
      createApp({
        token: TOKEN,
        jobRules: TEST_RULES,
        logger: silentLogger(),
        handlers: { listWorkers: () => Promise.resolve({ status: 200, body: [] }) },
      }),
    );
  });
  after(async () => http.close());

  test('the page is HTML without a token, under a policy that allows its own scripts and calls', async () => {
    for (const path of ['/ui', '/ui/']) {
      const page = await get(`${http.url}${path}`);
      assert.equal(page.status, 200, path);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.text, /<script type="module" src="\/ui\/dashboard\.js"><\/script>/);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self'/);
      assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    }
  });

  test('no inline script or handler: every script is a file the policy allows', async () => {
    const page = await get(`${http.url}/ui`);
    for (const m of page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(m[1] ?? '', /\ssrc="\/ui\//, `script without a /ui/ src: ${m[0].slice(0, 80)}`);
      assert.equal((m[2] ?? '').trim(), '', 'inline script body');
    }
    assert.doesNotMatch(page.text, /\son[a-z]+=/i, 'inline event handler');
    assert.doesNotMatch(page.text, /(?:src|href)="(?:https?:)?\/\//, 'nothing from another origin');
  });

  test('every file the page and its modules load is served with its content type', async () => {
    const page = await get(`${http.url}/ui`);
    const seen = new Set<string>();
    const queue = [...page.text.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(queue.includes('/ui/dashboard.css') && queue.includes('/ui/dashboard.js'));
    while (queue.length > 0) {
      const path = queue.shift() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await get(`${http.url}${path}`);
      assert.equal(res.status, 200, path);
      const type = res.headers.get('content-type') ?? '';
      if (path.endsWith('.js')) {
        assert.match(type, /^(text|application)\/javascript/, `${path}: ${type}`);
        // Static imports are relative to the module: follow them.
        for (const m of res.text.matchAll(/^import[^;]*?from '\.\/([^']+)';/gm))
          queue.push(`/ui/${m[1] as string}`);
      } else if (path.endsWith('.css')) assert.match(type, /^text\/css/, `${path}: ${type}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    // Every file in frontend/ui is reachable from the page: no dead code shipped.
    const files = readdirSync(DASHBOARD_DIR).filter((f) => f !== 'index.html');
    assert.deepEqual([...seen].map((p) => p.slice('/ui/'.length)).sort(), files.sort());
  });

  test('unknown files and paths outside the folder are 404 with the error body', async () => {
    for (const path of [
      '/ui/nope.js',
      '/ui/sub/dashboard.js',
      '/ui/..%2Fdashboard-route.ts',
      '/ui/%2e%2e/create-app.ts',
    ]) {
      const res = await get(`${http.url}${path}`);
      assert.equal(res.status, 404, `${path}: ${res.text.slice(0, 100)}`);
      assert.equal(JSON.parse(res.text).error.code, 'NOT_FOUND', path);
    }
  });

  test('another method on the page is 405 with Allow', async () => {
    const res = await get(`${http.url}/ui`, { method: 'POST' });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /GET/);
  });

  test('the page is public, the data it shows is not', async () => {
    assert.equal((await get(`${http.url}/ui/dashboard.js`)).status, 200);
    assert.equal((await http.request('GET', '/api/v1/workers')).status, 401);
    assert.equal((await http.request('GET', '/api/v1/workers', { token: TOKEN })).status, 200);
  });
});

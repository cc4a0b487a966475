/**
 * @module The web dashboard in a real browser: Debian's headless Chromium (CHROMIUM_PATH, from
 * scripts/test-services.sh; /usr/bin/chromium otherwise), driven by puppeteer-core, against an
 * in-process control plane with four simulated workers. The page loads under the FrontEnd's
 * security policy, signs in with the token, shows the workers × cores grid, shows a job submitted
 * through the API reaching `running` with its cores booked, opens its tasks, placements, events
 * and logs, and a drain, an undrain and a strategy switch clicked in the page take effect in the
 * API. A
 * screenshot is kept at artifacts/ui/dashboard.png (CI artefact).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
/** Where CI keeps the screenshot (README "Web dashboard", docs/design/operations.md). */
const SCREENSHOT_DIR = fileURLToPath(new URL('../../artifacts/ui/', import.meta.url));

function job(name: string, tasks: { cores: number; run: number }[]) {
  return {
    name,
    tasks: tasks.map((t, i) => ({
      name: `t${i + 1}`,
      image: 'busybox',
      cores: t.cores,
      memory: '256m',
      runSeconds: t.run,
    })),
  };
}

describe('dashboard in headless Chromium', { timeout: 180_000 }, () => {
  let c: Cluster;
  let browser: Browser;
  let page: Page;
  /** Uncaught errors and policy violations in the page. */
  const problems: string[] = [];
  /**
   * Clicks what `selector` names as the page has it at that moment. The live view re-renders
   * its tables as events arrive, so an element found first and clicked later can be gone ("Node
   * is detached from document", seen in CI): the find and the click happen in one task of the
   * page instead.
   */
  const clickLive = async (selector: string): Promise<void> => {
    await page.waitForSelector(selector);
    await page.$eval(selector, (el) => (el as unknown as { click(): void }).click());
  };

  before(async () => {
    // No skipping: without a browser the test fails and says where it looked.
    assert.ok(
      existsSync(CHROMIUM),
      `no Chromium at ${CHROMIUM}: run scripts/test-services.sh (installs Debian's chromium) or set CHROMIUM_PATH`,
    );
    c = await startCluster({
      workers: ['w1', 'w2', 'w3', 'w4'].map((workerId) => ({
        workerId,
        coreIds: [0, 1, 2, 3],
        memoryBytes: 4 * 1024 ** 3,
      })),
    });
    await waitFor('four workers', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 4 ? true : undefined,
    );
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI containers: Chromium's sandbox needs user namespaces it does not get there.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`policy: ${msg.text()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await c?.close();
  });

  test('loads, asks for the token and shows every worker as a row of cores', async () => {
    const res = await page.goto(`${c.url}/ui`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    await page.waitForSelector('#login:not([hidden])');
    await page.type('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.waitForFunction(`document.querySelector('#login-error').textContent.includes('not valid')`);
    await page.$eval('#token', (el) => {
      (el as unknown as { value: string }).value = '';
    });
    await page.type('#token', c.token);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#main:not([hidden])');
    await page.waitForFunction(`document.querySelectorAll('#cores .core-row').length === 4`);
    const cores = await page.$$eval('#cores .core-row[data-worker="w1"] .core', (els) => els.length);
    assert.equal(cores, 4);
    const stored = await page.evaluate(`sessionStorage.getItem('rswarm.token')`);
    assert.equal(stored, c.token, 'the token lives in the tab (sessionStorage)');
    // Updates come over GET /api/v1/events (read with fetch, the token in a header).
    await page.waitForSelector('#live[data-state="live"]');
  });

  test('a job submitted through the API reaches running in the page, its cores booked in the grid', async () => {
    assert.equal(
      (
        await c.api(
          'POST',
          '/api/v1/jobs',
          job('ui-job', [
            { cores: 2, run: 120 },
            { cores: 2, run: 120 },
          ]),
        )
      ).status,
      202,
    );
    assert.equal(
      (
        await c.api(
          'POST',
          '/api/v1/jobs',
          job('analytics', [
            { cores: 4, run: 120 },
            { cores: 2, run: 120 },
            { cores: 1, run: 120 },
          ]),
        )
      ).status,
      202,
    );
    assert.equal((await c.api('POST', '/api/v1/jobs', job('train', [{ cores: 3, run: 120 }]))).status, 202);
    assert.equal((await c.api('POST', '/api/v1/jobs', job('warm-up', [{ cores: 1, run: 0.2 }]))).status, 202);
    // Larger than any worker: it fails, and the page says why.
    assert.equal((await c.api('POST', '/api/v1/jobs', job('too-big', [{ cores: 8, run: 1 }]))).status, 202);
    // Fits a worker, but not while the others run: it waits, and the page says why.
    await waitFor('15 cores booked', async () => {
      const ws = (await c.api('GET', '/api/v1/workers')).body as { freeCores: number[] }[];
      return ws.reduce((n, w) => n + w.freeCores.length, 0) <= 2 ? true : undefined;
    });
    assert.equal((await c.api('POST', '/api/v1/jobs', job('backlog', [{ cores: 4, run: 1 }]))).status, 202);

    await page.waitForSelector('#jobs-body tr[data-job="ui-job"] [data-state="running"]', {
      timeout: 30_000,
    });
    const booked = await page.waitForFunction(
      `document.querySelectorAll('#cores .core.booked[data-job="ui-job"]').length`,
      { timeout: 15_000 },
    );
    assert.equal(await booked.jsonValue(), 4, 'ui-job books 4 cores');
    await page.waitForSelector('#legend [data-job="ui-job"]');
    const reasonOf = async (name: string) =>
      String(
        await (
          await page.waitForFunction(
            `document.querySelector('#jobs-body tr[data-job="${name}"] .reason')?.textContent || undefined`,
            { timeout: 15_000 },
          )
        ).jsonValue(),
      );
    assert.match(await reasonOf('backlog'), /4 cores/);
    assert.equal(
      await page.$eval('#jobs-body tr[data-job="backlog"] [data-state]', (e) => e.textContent),
      'waiting',
    );
    assert.match(await reasonOf('too-big'), /8 cores/);
    await page.waitForSelector('#jobs-body tr[data-job="warm-up"] [data-state="finished"]', {
      timeout: 15_000,
    });
  });

  test("a job's tasks and placements open from its row", async () => {
    await clickLive('#jobs-body tr[data-job="analytics"]');
    await page.waitForSelector('#job-detail:not([hidden]) tr[data-task="t3"]');
    const api = (await c.api('GET', '/api/v1/jobs/analytics')).body;
    const shown = await page.$$eval('#job-detail tbody tr', (rows) =>
      rows.map((r) =>
        Array.from(r.querySelectorAll('td'), (td) => (td as { textContent: string | null }).textContent),
      ),
    );
    for (const t of api.tasks) {
      const row = shown.find((cells) => cells[0] === t.name);
      assert.ok(row, `task ${t.name} is listed`);
      assert.equal(row[3], t.worker, `${t.name}'s worker`);
      assert.equal(row[4], t.cpuset, `${t.name}'s cpuset`);
    }
  });

  test("a job's events arrive in its panel, and a task's logs show on request", async () => {
    await page.waitForSelector('#detail-events li[data-kind="job-running"]');
    const kinds = await page.$$eval('#detail-events li', (items) =>
      items.map((li) => (li as unknown as { dataset: Record<string, string> }).dataset['kind']),
    );
    assert.deepEqual(kinds.slice(0, 3), ['job-submitted', 'job-scheduled', 'job-running']);
    await page.select('#log-task', 't1');
    await page.click('#log-load');
    await page.waitForFunction(
      `document.querySelector('#logs').textContent.includes('started t1 (job analytics')`,
    );
    // The cluster's feed saw the other jobs as they happened.
    await page.waitForSelector('#feed li[data-kind="job-running"]');
  });

  test('drain and undrain clicked in the page take effect; so does the strategy switch', async () => {
    const drain = '#workers-body tr[data-worker="w4"] button[data-action="drain"]';
    await clickLive(drain);
    await waitFor('w4 draining in the API', async () =>
      (await c.api('GET', '/api/v1/workers/w4')).body?.state === 'draining' ? true : undefined,
    );
    await page.waitForSelector('#workers-body tr[data-worker="w4"] button[data-action="undrain"]');
    await page.waitForSelector('#cores .core-row[data-worker="w4"] [data-state="draining"]');

    await page.select('#strategy', 'worst-fit');
    await waitFor('worst-fit in the API', async () =>
      (await c.api('GET', '/api/v1/scheduler')).body?.strategy === 'worst-fit' ? true : undefined,
    );

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}dashboard.png`, fullPage: true });
    assert.ok(existsSync(`${SCREENSHOT_DIR}dashboard.png`));

    await clickLive('#workers-body tr[data-worker="w4"] button[data-action="undrain"]');
    await waitFor('w4 ready again in the API', async () =>
      (await c.api('GET', '/api/v1/workers/w4')).body?.state === 'ready' ? true : undefined,
    );
    await page.waitForSelector('#workers-body tr[data-worker="w4"] button[data-action="drain"]');
  });

  test('no script error and no policy violation in the page', () => {
    assert.deepEqual(problems, []);
  });
});

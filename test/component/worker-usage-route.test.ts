/**
 * @module `GET /api/v1/workers/{id}/usage`: a worker's recorded utilisation, oldest first, a page
 * at a time; still answered after the worker is removed (so an export after a run reads every
 * worker that took part); 404 for an id with neither a record nor samples; `since` after `until`
 * is a 400 naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor } from '../support/control-plane-harness.js';

interface Usage {
  workerId: string;
  totalCores: number | null;
  samples: { at: string; usedCores: number; usedMemoryBytes: number; tasks: number }[];
  next: string | null;
}

test('worker usage: samples while a job runs, paging, a removed worker, errors', async () => {
  const c = await startCluster({
    workers: [
      { workerId: 'u1', coreIds: [0, 1, 2, 3] },
      { workerId: 'u2', coreIds: [0, 1] },
    ],
  });
  try {
    await waitFor('both workers', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 2 ? true : undefined,
    );
    const submitted = await c.api('POST', '/api/v1/jobs', {
      name: 'busy',
      tasks: [{ name: 't', image: 'busybox', cores: 3, memory: '64m', runSeconds: 30, node: 'u1' }],
    });
    assert.equal(submitted.status, 202, submitted.text);
    const busy = await waitFor(
      'a sample with the job running',
      async () => {
        const u = (await c.api('GET', '/api/v1/workers/u1/usage')).body as Usage;
        return u.samples.some((s) => s.usedCores === 3) ? u : undefined;
      },
      15_000,
    );
    assert.equal(busy.workerId, 'u1');
    assert.equal(busy.totalCores, 4);
    const running = busy.samples.find((s) => s.usedCores === 3);
    assert.deepEqual(
      { ...running, at: undefined },
      {
        at: undefined,
        usedCores: 3,
        usedMemoryBytes: 64 * 1024 ** 2,
        tasks: 1,
      },
    );
    const times = busy.samples.map((s) => Date.parse(s.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'oldest first',
    );

    // Paging: one sample per page; `next` is the following sample's time; the pages add up.
    await waitFor('three samples', async () =>
      ((await c.api('GET', '/api/v1/workers/u1/usage')).body as Usage).samples.length >= 3 ? true : undefined,
    );
    const until = new Date().toISOString();
    const all = (await c.api('GET', `/api/v1/workers/u1/usage?until=${until}`)).body as Usage;
    const paged: string[] = [];
    let since: string | null = all.samples[0]?.at ?? null;
    for (let i = 0; since !== null && i < 1000; i++) {
      const page = (await c.api('GET', `/api/v1/workers/u1/usage?limit=1&since=${since}&until=${until}`))
        .body as Usage;
      assert.ok(page.samples.length <= 1);
      paged.push(...page.samples.map((s) => s.at));
      since = page.next;
    }
    assert.deepEqual(
      paged,
      all.samples.map((s) => s.at),
    );

    // A removed worker is still answered while its samples are kept.
    const before = ((await c.api('GET', '/api/v1/workers/u2/usage')).body as Usage).samples.length;
    assert.ok(before > 0, 'u2 has samples');
    const rm = await c.api('DELETE', '/api/v1/workers/u2');
    assert.equal(rm.status, 202, rm.text);
    await c.workers[1]?.close(); // u2, the second worker started
    await waitFor('u2 gone or left', async () => {
      const w = await c.api('GET', '/api/v1/workers/u2');
      return w.status === 404 || w.body?.state === 'left' ? true : undefined;
    });
    const after = await c.api('GET', '/api/v1/workers/u2/usage');
    assert.equal(after.status, 200, after.text);
    assert.ok((after.body as Usage).samples.length >= before);

    const unknown = await c.api('GET', '/api/v1/workers/nobody/usage');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'WORKER_NOT_FOUND');

    const reversed = await c.api(
      'GET',
      '/api/v1/workers/u1/usage?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
    );
    assert.equal(reversed.status, 400);
    assert.equal(reversed.body.error.code, 'VALIDATION_FAILED');
    assert.equal(reversed.body.error.details[0].pointer, '/query/since');
    for (const bad of ['yesterday', '2016-12-31T23:59:60Z']) {
      const badDate = await c.api('GET', `/api/v1/workers/u1/usage?until=${bad}`);
      assert.equal(badDate.status, 400, bad);
      assert.equal(badDate.body.error.details[0].pointer, '/query/until', bad);
    }
  } finally {
    await c.close();
  }
});

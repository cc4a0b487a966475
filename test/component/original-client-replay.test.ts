/**
 * @module The original's clients, unmodified, against the compatibility routes (issue 14, item
 * 6): a recorded stress-client request sequence (test/support/fixtures/original, python-requests'
 * headers and bytes, no Authorization) and the original repository's sample jobs, sent without a
 * token to an in-process control plane with simulated workers. With `compat.allowAnonymous` every
 * request is accepted and every job runs; without it (the default) each request is 401 and no
 * job exists.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import {
  originalClientSequence,
  originalSampleJobs,
  type RecordedRequest,
} from '../support/original-fixtures.js';

/** The recorded pauses, shortened this many times (the clients' 1 s turns become 50 ms). */
const SPEEDUP = 20;

/** python-requests' headers for `requests.post(url, json=doc)`, as the original clients send. */
function pythonPost(doc: unknown): RecordedRequest {
  const body = JSON.stringify(doc);
  return {
    atMs: 0,
    method: 'POST',
    path: '/RESTfulSwarm/FE/request_new_job',
    headers: {
      'User-Agent': 'python-requests/2.22.0',
      'Accept-Encoding': 'gzip, deflate',
      Accept: '*/*',
      Connection: 'keep-alive',
      'Content-Length': String(Buffer.byteLength(body)),
      'Content-Type': 'application/json',
    },
    body,
  };
}

/** Sends one recorded request as it was recorded (raw headers and body) and reads the answer. */
function send(baseUrl: string, r: RecordedRequest): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(r.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: r.method, headers: { ...r.headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text }),
        );
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Replays the sequence in order with its pauses (shortened); `after` sees each answer. */
async function replay(
  c: Cluster,
  requests: readonly RecordedRequest[],
  afterEach: (r: RecordedRequest, answer: Awaited<ReturnType<typeof send>>) => Promise<void> | void,
): Promise<void> {
  let last = requests[0]?.atMs ?? 0;
  for (const r of requests) {
    await new Promise((resolve) => setTimeout(resolve, (r.atMs - last) / SPEEDUP));
    last = r.atMs;
    assert.equal(
      Object.keys(r.headers).some((h) => h.toLowerCase() === 'authorization'),
      false,
    );
    await afterEach(r, await send(c.url, r));
  }
}

const jobNames = (requests: readonly RecordedRequest[]): string[] =>
  requests
    .filter((r) => r.body !== undefined)
    .map((r) => (JSON.parse(r.body as string) as { job_name: string }).job_name);

const sixteenCoreWorkers = ['w1', 'w2', 'w3', 'w4'].map((workerId) => ({
  workerId,
  coreIds: Array.from({ length: 16 }, (_, i) => i),
}));

async function running(c: Cluster, name: string): Promise<any> {
  return waitFor(`${name} to run`, async () => {
    const r = await c.api('GET', `/api/v1/jobs/${name}`);
    return r.body?.state === 'running' || r.body?.state === 'finished' ? r.body : undefined;
  });
}

describe('compat.allowAnonymous on: the original clients run unmodified', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ overrides: { compat: { allowAnonymous: true } }, workers: sixteenCoreWorkers });
    await waitFor('workers to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 4 ? true : undefined,
    );
  });
  after(async () => c.close());

  test('the recorded stress-client sequence: every request accepted, the switches applied, every job runs', async () => {
    const sequence = originalClientSequence();
    assert.ok(sequence.some((r) => r.path.includes('switch_scheduler')));
    await replay(c, sequence, async (r, answer) => {
      assert.equal(answer.status, 200, `${r.method} ${r.path}: ${answer.text}`);
      assert.equal(answer.text, 'OK', 'the stress clients’ documents need no leniency');
      const strategy = /switch_scheduler\/(.+)$/.exec(r.path)?.[1];
      if (strategy) assert.equal((await c.api('GET', '/api/v1/scheduler')).body.strategy, strategy);
    });
    const names = jobNames(sequence);
    assert.equal(names.length, 6);
    for (const name of names) {
      const job = await running(c, name);
      assert.equal(job.tasks.length, 4);
      for (const t of job.tasks) {
        assert.equal(t.cores, 2);
        assert.equal(t.memoryBytes, 50 * 1024 ** 2);
      }
    }
    const consistency = await c.api('GET', '/api/v1/manager/consistency');
    assert.deepEqual(consistency.body, { ok: true, problems: [] });
  });

  test("the original repository's sample jobs: accepted without a token with warnings, and run; the native route refuses them", async () => {
    const expected = [
      ['/session', '/job_info/network/driver'],
      ['/job_info/network/driver'],
      ['/job_info/network/driver', '/job_info/network/subnet'],
      ['/job_info/network/driver', '/job_info/network/subnet', '/job_info/tasks/job3_task4/container_name'],
    ];
    for (const [i, doc] of originalSampleJobs().entries()) {
      const answer = await send(c.url, pythonPost(doc));
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.type, /application\/json/);
      const body = JSON.parse(answer.text) as {
        status: string;
        warnings: { field: string; message: string }[];
      };
      assert.equal(body.status, 'OK');
      assert.deepEqual(
        body.warnings.map((w) => w.field),
        expected[i],
      );
      const job = await running(c, doc.job_name);
      assert.equal(job.tasks.length, 2);
      // The native route stays strict (a fresh name, so only the document decides).
      const strict = await c.api('POST', '/api/v1/jobs', { ...doc, job_name: `${doc.job_name}-native` });
      assert.equal(strict.status, 400);
      assert.ok(strict.body.error.details.some((d: { code: string }) => d.code === 'NETWORK_INVALID'));
    }
    assert.deepEqual(
      (await c.api('GET', '/api/v1/jobs/job4')).body.tasks.map((t: { name: string }) => t.name),
      ['job4_task1', 'job4_task2'],
    );
  });
});

describe('compat.allowAnonymous off (the default): the same requests are refused', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ workers: sixteenCoreWorkers.slice(0, 1) });
  });
  after(async () => c.close());

  test('each recorded request and each sample job gets 401, and no job exists', async () => {
    await replay(c, originalClientSequence(), (r, answer) => {
      assert.equal(answer.status, 401, `${r.method} ${r.path}`);
      assert.match(answer.text, /UNAUTHORIZED/);
    });
    for (const doc of originalSampleJobs()) assert.equal((await send(c.url, pythonPost(doc))).status, 401);
    assert.deepEqual((await c.api('GET', '/api/v1/jobs')).body.items, []);
    assert.equal((await c.api('GET', '/api/v1/scheduler')).body.strategy, 'best-fit');
  });
});

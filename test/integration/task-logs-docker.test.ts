/**
 * @module Task logs and the event stream on a real dockerd (issue 13, item 3): a task of the test
 * image writes to stdout and stderr, waits, writes again and exits. The tail is read while it
 * runs (both streams, with timestamps when asked); a follow opened before the late line gets it
 * and ends by itself when the task ends; the event stream of that job shows it finish. Once the
 * job is `finished` and its container removed, the route still answers its lines (the worker kept
 * them before removing the container), as `kubectl logs` does for a completed pod; a follow then
 * sends them and ends.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { closeDockerGatewayCluster } from '../support/docker-gateway-cluster.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { SERVICES, uniqueName } from '../support/services.js';

const MiB = 1024 ** 2;

describe('task logs and events with a Docker worker', { timeout: 120_000 }, () => {
  let c: Cluster;
  const run = uniqueName('logs').replace(/-/g, '');
  const worker = `${run}-w`;
  const job = `${run}-echo`;
  const task = `${job}_t1`;

  const get = (path: string, signal?: AbortSignal): Promise<Response> =>
    fetch(c.url + path, { headers: { authorization: `Bearer ${c.token}` }, ...(signal ? { signal } : {}) });

  before(async () => {
    c = await startCluster({
      realBackends: true,
      verbose: process.env['RSWARM_TEST_VERBOSE'] === '1',
      workers: [{ workerId: worker, runtime: 'docker', coreIds: [0], memoryBytes: 256 * MiB }],
    });
    await waitFor('the worker to join', async () =>
      (await c.api('GET', '/api/v1/workers')).body?.length === 1 ? true : undefined,
    );
  });
  after(async () => {
    await c.api('DELETE', `/api/v1/jobs/${job}`);
    await c.api('DELETE', `/api/v1/jobs/${job}x`);
    // Closes the cluster and removes what its worker left (a test that failed midway).
    await closeDockerGatewayCluster(c, worker);
  });

  test('tail while running, a follow that gets a later line and ends with the task, its events', async () => {
    const events = new AbortController();
    const stream = await get(`/api/v1/events?job=${job}&backlog=100`, events.signal);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    let sse = '';
    const reading = (async () => {
      const reader = (stream.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream())
        .getReader();
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          sse += r.value;
        }
      } catch {
        // aborted below
      }
    })();

    const submitted = await c.api('POST', '/api/v1/jobs', {
      name: job,
      tasks: [
        {
          name: 't1',
          image: SERVICES.testImage,
          // A second between the stdout and the stderr line: the engine copies the two streams
          // apart, so lines written in the same instant may be logged in either order.
          command: ['sh', '-c', 'echo one; sleep 1; echo two >&2; sleep 6; echo three; sleep 1'],
          cores: 1,
          memory: '32m',
        },
      ],
    });
    assert.equal(submitted.status, 202, submitted.text);
    // The tail, once the first lines are out.
    const early = await waitFor(
      'the first lines',
      async () => {
        const r = await get(`/api/v1/tasks/${task}/logs?tail=all`);
        const text = await r.text();
        return r.status === 200 && text.includes('two') ? text : undefined;
      },
      30_000,
    );
    assert.equal(early, 'one\ntwo\n');
    const stamped = await (await get(`/api/v1/tasks/${task}/logs?tail=1&timestamps=true`)).text();
    assert.match(stamped, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z two\n$/);

    // Follow: gets "three" when the task writes it, then ends by itself when the task ends.
    const started = Date.now();
    const follow = await get(`/api/v1/tasks/${task}/logs?follow=true&tail=1`);
    assert.equal(follow.status, 200);
    const followed = await follow.text();
    assert.equal(followed, 'two\nthree\n');
    assert.ok(Date.now() - started < 30_000, 'the follow ended with the task');

    await waitFor(
      'the job-finished event',
      () => Promise.resolve(sse.includes('event: job-finished') ? true : undefined),
      30_000,
    );
    const ids = [...sse.matchAll(/^id: ([0-9a-f]{24})$/gm)].map((m) => m[1] as string);
    assert.deepEqual([...ids].sort(), ids, 'ids grow');
    assert.match(sse, /event: job-submitted\ndata: \{[^\n]*"job":"/);
    events.abort();
    await reading;

    // Ended and its container removed: its lines are still answered, from what the worker kept.
    await waitFor(
      'the job to be finished',
      async () => ((await c.api('GET', `/api/v1/jobs/${job}`)).body?.state === 'finished' ? true : undefined),
      30_000,
    );
    const docker = new Docker();
    await waitFor(
      'its container to be removed',
      async () => {
        const left = await docker.listContainers({ all: true, filters: { label: [`rswarm.job=${job}`] } });
        return left.length === 0 ? true : undefined;
      },
      30_000,
    );
    const kept = await get(`/api/v1/tasks/${task}/logs?tail=all`);
    assert.equal(kept.status, 200);
    const keptText = await kept.text();
    assert.equal(keptText, 'one\ntwo\nthree\n');
    const last = await get(`/api/v1/tasks/${task}/logs?follow=true&tail=1&timestamps=true`);
    assert.match(await last.text(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z three\n$/);
    // A bare task name reaches live jobs only.
    assert.equal((await get(`/api/v1/tasks/t1/logs`)).status, 404);
  });

  test('a cancelled task: its output is kept when its container is stopped and removed', async () => {
    const cancelled = `${job}x`;
    const submitted = await c.api('POST', '/api/v1/jobs', {
      name: cancelled,
      tasks: [
        {
          name: 't1',
          image: SERVICES.testImage,
          command: ['sh', '-c', 'echo before the cancel; sleep 600'],
          cores: 1,
          memory: '32m',
        },
      ],
    });
    assert.equal(submitted.status, 202, submitted.text);
    const path = `/api/v1/tasks/${cancelled}_t1/logs?tail=all`;
    await waitFor(
      'the first line',
      async () => ((await (await get(path)).text()).includes('before the cancel') ? true : undefined),
      30_000,
    );
    assert.equal((await c.api('DELETE', `/api/v1/jobs/${cancelled}`)).status < 300, true);
    await waitFor(
      'the job to be cancelled',
      async () =>
        (await c.api('GET', `/api/v1/jobs/${cancelled}`)).body?.state === 'cancelled' ? true : undefined,
      30_000,
    );
    const docker = new Docker();
    await waitFor(
      'its container to be removed',
      async () => {
        const left = await docker.listContainers({
          all: true,
          filters: { label: [`rswarm.job=${cancelled}`] },
        });
        return left.length === 0 ? true : undefined;
      },
      30_000,
    );
    const kept = await get(path);
    assert.equal(kept.status, 200);
    assert.equal(await kept.text(), 'before the cancel\n');
  });
});

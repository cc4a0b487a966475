/**
 * @module The gateway's request path (docs/design/services.md) on real sockets: replicas are real
 * HTTP servers of a fake ReplicaDirectory. Routing and path rewrite, auth and public services,
 * unknown services, the single-flight cold start, the 503s (cannot place, budget, admission).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aService, type UpstreamHandler } from '../support/fake-replica-directory.js';
import { call, startGateway, waitUntil } from '../support/gateway-harness.js';

test('routes /<service>/<rest>?query to a replica as /<rest>?query, with X-Forwarded-*', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  h.directory.addService(aService('echo'));
  const replica = await h.directory.startReplica('echo');

  const r = await call(`${h.gateway.url}/echo/a/b%20c?x=1&y=two`, {
    headers: { 'x-forwarded-for': '10.0.0.9' },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.replica, replica.id);
  assert.equal(r.body.url, '/a/b%20c?x=1&y=two');
  assert.equal(r.body.headers['x-forwarded-for'], '10.0.0.9, 127.0.0.1');
  assert.equal(r.body.headers['x-forwarded-proto'], 'http');
  assert.equal(r.body.headers['x-forwarded-host'], `127.0.0.1:${h.gateway.port}`);
  assert.equal(r.body.headers['x-forwarded-prefix'], '/echo');
  assert.equal(r.body.headers['authorization'], undefined, 'the API token never reaches a replica');

  const root = await call(`${h.gateway.url}/echo?only=query`);
  assert.equal(root.body.url, '/?only=query');
  const post = await call(`${h.gateway.url}/echo/items`, { method: 'POST', body: '{"a":1}' });
  assert.equal(post.status, 200);
  assert.equal(post.body.method, 'POST');
  assert.equal(post.body.headers['content-length'], '7');
  assert.equal(h.gateway.stats().requests.proxied, 3);
});

test('auth: 401 with a Bearer challenge unless the service is public; unknown → 404 naming it', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  h.directory.addService(aService('private'));
  h.directory.addService(aService('open', { public: true }));
  await h.directory.startReplica('private');
  await h.directory.startReplica('open');

  const none = await call(`${h.gateway.url}/private/x`, { token: null });
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="rswarm"');
  assert.equal(none.body.error.code, 'UNAUTHORIZED');
  const wrong = await call(`${h.gateway.url}/private/x`, { token: 'nope' });
  assert.equal(wrong.status, 401);
  assert.match(String(wrong.headers['www-authenticate']), /error="invalid_token"/);
  // An upload to a private service without the token is refused before its body is read.
  const upload = await call(`${h.gateway.url}/private/x`, {
    method: 'POST',
    token: null,
    body: 'x'.repeat(1000),
  });
  assert.equal(upload.status, 401);
  assert.equal(upload.headers['connection'], 'close');

  const open = await call(`${h.gateway.url}/open/x`, {
    token: null,
    headers: { authorization: 'Basic abc' },
  });
  assert.equal(open.status, 200);
  assert.equal(open.body.headers['authorization'], 'Basic abc', "a public service's own auth passes through");

  const anonUnknown = await call(`${h.gateway.url}/ghost/x`, { token: null });
  assert.equal(anonUnknown.status, 401, 'names cannot be probed without the token');
  const unknown = await call(`${h.gateway.url}/ghost/x`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'SERVICE_NOT_FOUND');
  assert.match(unknown.body.error.message, /ghost/);
  const bare = await call(`${h.gateway.url}/`);
  assert.equal(bare.status, 404);
  assert.equal(bare.body.error.code, 'NOT_FOUND');
  const s = h.gateway.stats().requests;
  assert.deepEqual([s.unauthorized, s.notFound, s.proxied], [4, 2, 1]);
});

test('single-flight: 100 concurrent cold requests start exactly one replica and all get 200', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  h.directory.addService(aService('cold'));
  h.directory.startDelayMs = 300;

  const replies = await Promise.all(
    Array.from({ length: 100 }, (_, i) => call(`${h.gateway.url}/cold/r${i}`)),
  );
  assert.deepEqual(
    replies.map((r) => r.status),
    replies.map(() => 200),
  );
  assert.equal(h.directory.scaleUpCalls.length, 1);
  assert.deepEqual(h.directory.scaleUpCalls[0], { service: 'cold', count: 1 });
  assert.equal(h.directory.list('cold').length, 1);
  assert.equal(h.gateway.stats().coldStarts, 1);
  assert.equal(h.gateway.stats().requests.proxied, 100);
});

test('503 with Retry-After and the scheduler reason when the replica cannot be placed', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  h.directory.addService(aService('big'));
  h.directory.unplacedReason = 'needs 16 cores: 3 workers have fewer free';

  const r = await call(`${h.gateway.url}/big/x`);
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '1');
  assert.equal(r.body.error.code, 'NO_REPLICA_AVAILABLE');
  assert.match(r.body.error.message, /needs 16 cores: 3 workers have fewer free/);
  assert.equal(h.gateway.stats().requests.noReplica, 1);
});

test('503 with Retry-After when no replica is ready within the cold-start budget', async (t) => {
  const h = await startGateway({ coldStartBudgetMs: 600 });
  t.after(() => h.close());
  h.directory.addService(aService('stuck'));
  h.directory.startDelayMs = null; // placed, never answers

  const started = Date.now();
  const r = await call(`${h.gateway.url}/stuck/x`);
  const took = Date.now() - started;
  assert.equal(r.status, 503);
  assert.ok(r.headers['retry-after']);
  assert.match(r.body.error.message, /within 600 ms/);
  assert.ok(took >= 550 && took < 5_000, `took ${took} ms`);
  assert.equal(h.directory.scaleUpCalls.length, 1);
});

test('admission: per-replica max in flight, a bounded queue, 503 when it is full', async (t) => {
  const h = await startGateway({ maxInFlightPerReplica: 1, maxQueueLength: 1 });
  t.after(() => h.close());
  const held: (() => void)[] = [];
  const hold: UpstreamHandler = (req, res) => {
    req.resume();
    held.push(() => res.end('done'));
  };
  h.directory.addService(aService('slow'), hold);
  await h.directory.startReplica('slow');

  const first = call(`${h.gateway.url}/slow/1`);
  await waitUntil(() => held.length === 1);
  const second = call(`${h.gateway.url}/slow/2`);
  await waitUntil(() => h.gateway.stats().queued === 1);
  const third = await call(`${h.gateway.url}/slow/3`);
  assert.equal(third.status, 503);
  assert.ok(third.headers['retry-after']);
  assert.match(third.body.error.message, /busy/);

  held.shift()?.();
  assert.equal((await first).status, 200);
  await waitUntil(() => held.length === 1);
  held.shift()?.();
  assert.equal((await second).status, 200);
  const s = h.gateway.stats();
  assert.deepEqual([s.requests.proxied, s.requests.overloaded, s.queued], [2, 1, 0]);
});

test('queued requests get 503 after the longest queue wait', async (t) => {
  const h = await startGateway({ maxInFlightPerReplica: 1, maxQueueLength: 4, maxQueueWaitMs: 150 });
  t.after(() => h.close());
  const held: (() => void)[] = [];
  h.directory.addService(aService('slow'), (req, res) => {
    req.resume();
    held.push(() => res.end('done'));
  });
  await h.directory.startReplica('slow');
  const first = call(`${h.gateway.url}/slow/1`);
  await waitUntil(() => held.length === 1);
  const waited = await call(`${h.gateway.url}/slow/2`);
  assert.equal(waited.status, 503);
  held.shift()?.();
  assert.equal((await first).status, 200);
});

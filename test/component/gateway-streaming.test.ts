/**
 * @module The gateway streams both ways on real sockets: a 20 MB upload reaches the replica
 * before the client has finished sending it, a download's first chunk reaches the client before
 * the replica has finished, a client that leaves aborts the replica's request, and close() lets
 * requests in flight finish (or cuts them after its grace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { aService } from '../support/fake-replica-directory.js';
import { call, GATEWAY_TOKEN, startGateway, waitUntil } from '../support/gateway-harness.js';

const MB = 1024 * 1024;

/** Opens a request through the gateway; the caller writes the body and ends it. */
function open(url: string, method: string, headers: Record<string, string> = {}) {
  let resolveRes: (r: IncomingMessage) => void = () => undefined;
  let rejectRes: (e: Error) => void = () => undefined;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    resolveRes = resolve;
    rejectRes = reject;
  });
  const req = request(url, {
    method,
    agent: false,
    headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, ...headers },
  });
  req.on('response', resolveRes);
  req.on('error', rejectRes);
  return { req, response };
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

test('a 20 MB upload is streamed: the replica reads it while the client still sends', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  let received = 0;
  h.directory.addService(aService('sink'), (req, res) => {
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => res.end(JSON.stringify({ bytes: received })));
  });
  await h.directory.startReplica('sink');

  const { req, response } = open(`${h.gateway.url}/sink/upload`, 'POST', {
    'content-length': String(20 * MB),
  });
  const chunk = Buffer.alloc(MB, 7);
  for (let i = 0; i < 10; i++) req.write(chunk);
  // Half sent: the replica already has bytes, so the gateway is not holding the body back.
  await waitUntil(() => received > 0);
  assert.ok(received < 20 * MB);
  for (let i = 0; i < 10; i++) req.write(chunk);
  req.end();
  const res = await response;
  assert.equal(res.statusCode, 200);
  assert.deepEqual(JSON.parse(await readAll(res)), { bytes: 20 * MB });
});

test('a chunked upload of unknown length is relayed whole', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  h.directory.addService(aService('sink'), (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ bytes: n, te: req.headers['transfer-encoding'] })));
  });
  await h.directory.startReplica('sink');
  const { req, response } = open(`${h.gateway.url}/sink/upload`, 'PUT');
  for (let i = 0; i < 3; i++) req.write(Buffer.alloc(100_000));
  req.end();
  const res = await response;
  assert.deepEqual(JSON.parse(await readAll(res)), { bytes: 300_000, te: 'chunked' });
});

test("a download's first chunk reaches the client before the replica finishes", async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  let finish: () => void = () => undefined;
  h.directory.addService(aService('feed'), (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first;');
    finish = () => res.end('rest');
  });
  await h.directory.startReplica('feed');

  const { req, response } = open(`${h.gateway.url}/feed/stream`, 'GET');
  req.end();
  const res = await response;
  const first = await new Promise<string>((resolve) =>
    res.once('data', (c: Buffer) => resolve(c.toString())),
  );
  assert.equal(first, 'first;', 'the replica has not ended its response yet');
  const rest = readAll(res);
  finish();
  assert.equal(await rest, 'rest');
});

test('a client that leaves aborts the request to the replica', async (t) => {
  const h = await startGateway();
  t.after(() => h.close());
  let upstreamClosed = false;
  let arrived = false;
  h.directory.addService(aService('hang'), (req, res) => {
    arrived = true;
    req.resume();
    res.on('close', () => (upstreamClosed = true));
  });
  await h.directory.startReplica('hang');
  const { req, response } = open(`${h.gateway.url}/hang/x`, 'GET');
  response.catch(() => undefined);
  req.end();
  await waitUntil(() => arrived);
  req.destroy();
  await waitUntil(() => upstreamClosed);
  await waitUntil(() => h.gateway.stats().requests.clientAborted === 1);
  assert.equal(h.gateway.stats().inFlight, 0);
});

test('close() stops accepting and lets a request in flight finish', async (t) => {
  const h = await startGateway();
  t.after(() => h.directory.close());
  let finish: () => void = () => undefined;
  h.directory.addService(aService('slow'), (req, res) => {
    req.resume();
    finish = () => res.end('late');
  });
  await h.directory.startReplica('slow');
  const pending = call(`${h.gateway.url}/slow/x`);
  await waitUntil(() => h.gateway.stats().inFlight === 1 && h.directory.list('slow')[0]?.hits === 1);

  const closing = h.gateway.close();
  assert.equal(h.gateway.getState(), 'closing');
  await assert.rejects(call(`${h.gateway.url}/slow/y`), /ECONNREFUSED/);
  finish();
  assert.equal((await pending).text, 'late');
  await closing;
  assert.equal(h.gateway.getState(), 'closed');
});

test('close() cuts requests still in flight after its grace', async (t) => {
  const h = await startGateway({ closeGraceMs: 100 });
  t.after(() => h.directory.close());
  h.directory.addService(aService('never'), (req) => req.resume());
  await h.directory.startReplica('never');
  const pending = call(`${h.gateway.url}/never/x`);
  await waitUntil(() => h.directory.list('never')[0]?.hits === 1);
  const started = Date.now();
  await h.gateway.close();
  assert.ok(Date.now() - started < 2_000);
  await assert.rejects(pending);
  assert.equal(h.gateway.getState(), 'closed');
});

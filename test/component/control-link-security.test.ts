/**
 * @module The JobManager's control link (issue 11: CurveZMQ on every socket). Every intent on it
 * changes control state (submit, cancel, drain, reports), so only the control plane's key may
 * complete the handshake: a plaintext peer, an unknown key and an enrolled worker's key are all
 * refused before a frame is read. Real zeromq sockets; the handler records what reaches it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Dealer, curveKeyPair } from 'zeromq';
import type { ControlIntent } from '../../core/control-state/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { Keyring, type ServerLinkSecurity } from '../../core/security/index.js';
import {
  CONTROL_LINK_VERSION,
  ZmqControlClient,
  ZmqControlServer,
  type ControlRequestHandler,
} from '../../core/transport/index.js';
import { sleep } from '../support/link-peers.js';

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

/** A control server on an ephemeral port that answers every request and records what reached it. */
async function server(security?: ServerLinkSecurity) {
  const seen: string[] = [];
  const handler: ControlRequestHandler = (req) => {
    seen.push(req.type === 'intent' ? req.intent.kind : req.query.kind);
    return Promise.resolve(req.type === 'query' ? { leader: 'jm-test' } : { ok: true });
  };
  const s = await ZmqControlServer.bind('tcp://127.0.0.1:0', handler, silentLogger(), security);
  closers.push(() => s.close());
  return { endpoint: s.endpoint, seen };
}

function controlSecurity(): ServerLinkSecurity {
  const keyPair = curveKeyPair();
  return { keyPair, controlPublicKeys: [keyPair.publicKey], keyring: Keyring.inMemory() };
}

/** A raw DEALER that sends one intent frame and collects any answer. */
async function rawIntent(
  endpoint: string,
  curve?: { publicKey: string; secretKey: string; serverKey: string },
): Promise<Buffer[]> {
  const d = new Dealer({
    linger: 0,
    ...(curve
      ? { curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey, curveServerKey: curve.serverKey }
      : {}),
  });
  closers.push(() => d.close());
  d.connect(endpoint);
  const answers: Buffer[] = [];
  void (async () => {
    try {
      for await (const [frame] of d) answers.push(frame as Buffer);
    } catch {
      // closed
    }
  })();
  const intent = { kind: 'cancel', job: 'victim' } as unknown as ControlIntent;
  const frame = JSON.stringify({ v: CONTROL_LINK_VERSION, type: 'intent', id: randomUUID(), intent });
  // A send over a refused handshake never completes: bounded.
  await Promise.race([d.send(frame), sleep(500)]);
  await sleep(700);
  return answers;
}

test('the control plane key is answered; a plaintext peer, an unknown key and a worker key reach nothing', async () => {
  const security = controlSecurity();
  const worker = curveKeyPair();
  assert.equal(security.keyring.enrol('w1', worker.publicKey, Date.now()), 'enrolled');
  const { endpoint, seen } = await server(security);

  const plaintext = await rawIntent(endpoint);
  const stranger = curveKeyPair();
  const unknown = await rawIntent(endpoint, { ...stranger, serverKey: security.keyPair.publicKey });
  const enrolled = await rawIntent(endpoint, { ...worker, serverKey: security.keyPair.publicKey });
  assert.deepEqual([plaintext.length, unknown.length, enrolled.length], [0, 0, 0]);
  assert.deepEqual(seen, [], 'no refused peer reached the handler');

  // The positive control, after the attacks: the control plane's own key gets its answers.
  const client = new ZmqControlClient(
    [endpoint],
    silentLogger(),
    { timeoutMs: 3000 },
    {
      keyPair: security.keyPair,
      serverPublicKey: security.keyPair.publicKey,
    },
  );
  closers.push(() => client.close());
  assert.equal((await client.query({ kind: 'status' })).leader, 'jm-test');
  assert.deepEqual(await client.propose({ kind: 'cancel', job: 'j' } as unknown as ControlIntent), {
    ok: true,
  });
  assert.deepEqual(seen, ['status', 'cancel']);
});

test('a client holding the wrong server key never gets through', async () => {
  const security = controlSecurity();
  const { endpoint, seen } = await server(security);
  const impostorServer = curveKeyPair();
  const client = new ZmqControlClient(
    [endpoint],
    silentLogger(),
    { timeoutMs: 800, attemptTimeoutMs: 300 },
    {
      keyPair: security.keyPair,
      serverPublicKey: impostorServer.publicKey,
    },
  );
  closers.push(() => client.close());
  await assert.rejects(client.query({ kind: 'status' }), /no JobManager was leading/);
  assert.deepEqual(seen, []);
});

test('plaintext mode (cluster.linkSecurity: plaintext) still links a plaintext client', async () => {
  const { endpoint, seen } = await server();
  const client = new ZmqControlClient([endpoint], silentLogger(), { timeoutMs: 3000 });
  closers.push(() => client.close());
  assert.equal((await client.query({ kind: 'status' })).leader, 'jm-test');
  assert.deepEqual(seen, ['status']);
});

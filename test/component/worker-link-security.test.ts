/**
 * @module The authenticated, encrypted worker link (issue 11, item 1), attacked the way the issue
 * describes, on real zeromq sockets: a rogue dispatch, a hijack by routing id, a forged report, an
 * unauthenticated leave, tokenless and wrong-key joins, and a revoked key. The GlobalManager and
 * Discovery run with CurveZMQ, the ZAP policy and routing proofs; the leader is a fake that
 * records intents.
 */
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/clock/clock.js';
import type { ControlIntent, ControlLink } from '../../core/control-state/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { PROTOCOL_VERSION, type Message } from '../../core/protocol/index.js';
import {
  Keyring,
  provenRoutingId,
  type CurveKeyPair,
  type ServerLinkSecurity,
} from '../../core/security/index.js';
import { createMemoryStores } from '../../core/store/index.js';
import { ZmqDispatchLink, ZmqWorkerCommandLink } from '../../core/transport/index.js';
import { Discovery } from '../../discovery/discovery.js';
import { GlobalManager } from '../../global-manager/global-manager.js';
import { waitFor } from '../support/control-plane-harness.js';
import {
  assignmentFor,
  connectPeer,
  enrolAt,
  joinOf,
  newKeys,
  sleep,
  type Peer,
} from '../support/link-peers.js';

const TOKEN = 'join-token-for-tests';
const HEARTBEAT_MS = 50;
const TIMEOUT_MS = 400;

async function cluster(keyring: Keyring = Keyring.inMemory()) {
  const intents: ControlIntent[] = [];
  const control = {
    propose: (intent: ControlIntent) => {
      intents.push(intent);
      return Promise.resolve(intent.kind === 'worker-joined' ? { ok: true, desired: [] } : { ok: true });
    },
    query: () => Promise.reject(new Error('no queries here')),
  } as unknown as ControlLink;
  const serverKeys = newKeys();
  const security: ServerLinkSecurity = {
    keyPair: serverKeys,
    controlPublicKeys: [serverKeys.publicKey],
    keyring,
  };
  const deps = { control, clock: systemClock, logger: silentLogger() };
  const gm = await GlobalManager.create(
    {
      endpoint: 'tcp://127.0.0.1:0',
      enrolEndpoint: 'tcp://127.0.0.1:0',
      joinToken: TOKEN,
      security,
      heartbeatIntervalMs: HEARTBEAT_MS,
      heartbeatTimeoutMs: TIMEOUT_MS,
      usageSampleIntervalMs: 0,
    },
    { ...deps, stores: createMemoryStores() },
  );
  gm.run();
  const discovery = await Discovery.create({ endpoint: 'tcp://127.0.0.1:0', security }, deps);
  discovery.run();
  const controlSecurity = { keyPair: serverKeys, serverPublicKey: serverKeys.publicKey };
  const dispatch = new ZmqDispatchLink(gm.endpoint, controlSecurity);
  const peers: Peer[] = [];
  const heartbeats: NodeJS.Timeout[] = [];
  const enrolEndpoint = gm.enrolEndpoint as string;
  /** An honest worker: its own key, enrolled with the token, then joined and heartbeating. */
  const worker = async (workerId: string): Promise<Peer & { reports: Peer; keyPair: CurveKeyPair }> => {
    const keyPair = newKeys();
    const curve = { keyPair, serverPublicKey: serverKeys.publicKey };
    const enrolled = await enrolAt(enrolEndpoint, workerId, TOKEN, keyPair, serverKeys.publicKey);
    assert.equal(enrolled?.type, 'enrolled', JSON.stringify(enrolled));
    const p = connectPeer(gm.endpoint, { principal: workerId, curve });
    peers.push(p);
    await p.send(joinOf(workerId, '', keyPair.publicKey));
    await waitFor(
      `${workerId} synced`,
      () => Promise.resolve(p.received.find((m) => m.type === 'sync')),
      5000,
    );
    heartbeats.push(
      setInterval(
        () => void p.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId, at: Date.now() }),
        HEARTBEAT_MS,
      ),
    );
    const reports = connectPeer(discovery.endpoint, { principal: workerId, curve });
    peers.push(reports);
    return Object.assign(p, { reports, keyPair });
  };
  const attacker = (endpoint: string, opts: Parameters<typeof connectPeer>[1]): Peer => {
    const p = connectPeer(endpoint, opts);
    peers.push(p);
    return p;
  };
  const close = async (): Promise<void> => {
    for (const h of heartbeats) clearInterval(h);
    for (const p of peers) p.close();
    await dispatch.close();
    await discovery.close();
    await gm.close();
  };
  return {
    gm,
    enrolEndpoint,
    discovery,
    dispatch,
    intents,
    security,
    serverKeys,
    controlSecurity,
    worker,
    attacker,
    close,
  };
}

type Cluster = Awaited<ReturnType<typeof cluster>>;
type Worker = Awaited<ReturnType<Cluster['worker']>>;

const assigns = (p: Peer): Message[] => p.received.filter((m) => m.type === 'assign' || m.type === 'sync');
const dispatchTo = (workerId: string, job: string): Message => ({
  type: 'dispatch',
  v: PROTOCOL_VERSION,
  assign: [assignmentFor(workerId, job)],
  stop: [],
});

async function withCluster(fn: (c: Cluster, w1: Worker) => Promise<void>, keyring?: Keyring): Promise<void> {
  const c = await cluster(keyring);
  try {
    await fn(c, await c.worker('w1'));
  } finally {
    await c.close();
  }
}

test('a worker enrols its key with the token, joins without it, then receives what the control plane dispatches', () =>
  withCluster(async (c, w1) => {
    assert.equal(c.security.keyring.keyOf('w1'), w1.keyPair.publicKey);
    await c.dispatch.dispatch({ assign: [assignmentFor('w1', 'good')], stop: [] });
    await waitFor('assigned', () => Promise.resolve(w1.received.find((m) => m.type === 'assign')), 5000);
    // Known by its key from now on: a join without the token is accepted.
    await w1.send(joinOf('w1', ''));
    await waitFor('synced again', () =>
      Promise.resolve(w1.received.filter((m) => m.type === 'sync').length === 2 ? true : undefined),
    );
  }));

test('a rogue dispatch from an unauthenticated or a worker DEALER does nothing', () =>
  withCluster(async (c, w1) => {
    const plaintext = c.attacker(c.gm.endpoint, { routingId: 'control-rogue' });
    await plaintext.send(dispatchTo('w1', 'rogue-plain'));
    const strangerKey = c.attacker(c.gm.endpoint, {
      principal: '@dispatch-rogue',
      curve: { keyPair: newKeys(), serverPublicKey: c.serverKeys.publicKey },
    });
    await strangerKey.send(dispatchTo('w1', 'rogue-stranger'));
    const w2 = await c.worker('w2');
    await w2.send(dispatchTo('w1', 'rogue-worker'));
    await sleep(300);
    assert.deepEqual(
      assigns(w1).filter((m) => m.type === 'assign'),
      [],
      'w1 must not receive any rogue assignment',
    );
  }));

test('a DEALER reusing a worker routing id without its key gets nothing and does not get it marked lost', () =>
  withCluster(async (c, w1) => {
    const stranger = { keyPair: newKeys(), serverPublicKey: c.serverKeys.publicKey };
    const hijackers = [
      c.attacker(c.gm.endpoint, { routingId: 'w1' }),
      c.attacker(c.gm.endpoint, { routingId: 'w1', curve: stranger }),
      c.attacker(c.gm.endpoint, { principal: 'w1', curve: stranger }),
      // A guessed proof of the right shape.
      c.attacker(c.gm.endpoint, { routingId: `w1~${'A'.repeat(43)}`, curve: stranger }),
    ];
    for (const h of hijackers) {
      await h.send(joinOf('w1', ''));
      await h.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId: 'w1', at: Date.now() });
    }
    await c.dispatch.dispatch({ assign: [assignmentFor('w1', 'j1')], stop: [] });
    await waitFor('w1 assigned', () => Promise.resolve(w1.received.find((m) => m.type === 'assign')), 5000);
    await sleep(TIMEOUT_MS * 2);
    for (const h of hijackers) assert.deepEqual(assigns(h), []);
    assert.deepEqual(
      c.intents.filter((i) => i.kind === 'worker-lost'),
      [],
    );
    assert.deepEqual(c.gm.connectedWorkers(), ['w1']);
    // The hijackers' routing ids are not w1's proven one.
    assert.notEqual(provenRoutingId('w1', stranger.keyPair, c.serverKeys.publicKey), 'w1');
  }));

test("a worker's routing proof, copied, is useless with another key: neither the GlobalManager nor Discovery admits it", () =>
  withCluster(async (c, w1) => {
    const copied = provenRoutingId('w1', w1.keyPair, c.serverKeys.publicKey);
    const stranger = { keyPair: newKeys(), serverPublicKey: c.serverKeys.publicKey };
    const thief = c.attacker(c.gm.endpoint, { routingId: copied, curve: stranger });
    await thief.send(joinOf('w1', ''));
    await thief.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId: 'w1', at: Date.now() });
    const forger = c.attacker(c.discovery.endpoint, { routingId: copied, curve: stranger });
    await forger.send({
      ...{ type: 'report', v: PROTOCOL_VERSION, id: 'copied', job: 'victim', task: 't0', attempt: 0 },
      ...{ workerId: 'w1', state: 'finished', exitCode: 0, reason: null, at: Date.now() },
    });
    await c.dispatch.dispatch({ assign: [assignmentFor('w1', 'after-copy')], stop: [] });
    await waitFor('w1 assigned', () => Promise.resolve(w1.received.find((m) => m.type === 'assign')), 5000);
    await sleep(300);
    assert.deepEqual(thief.received, []);
    assert.deepEqual(forger.received, []);
    assert.deepEqual(
      c.intents.flatMap((i) => (i.kind === 'reports' ? i.reports.map((r) => r.id) : [])),
      [],
    );
    assert.deepEqual(c.gm.connectedWorkers(), ['w1']);
  }));

test("a forged report to Discovery for another worker's task is refused", () =>
  withCluster(async (c, w1) => {
    const w2 = await c.worker('w2');
    const report = (workerId: string, id: string): Message => ({
      type: 'report',
      v: PROTOCOL_VERSION,
      id,
      job: 'victim',
      task: 't0',
      attempt: 0,
      workerId,
      state: 'finished',
      exitCode: 0,
      reason: null,
      at: Date.now(),
    });
    await w2.reports.send(report('w1', 'forged-by-w2'));
    const plaintext = c.attacker(c.discovery.endpoint, { routingId: 'w1' });
    await plaintext.send(report('w1', 'forged-plain'));
    const stranger = c.attacker(c.discovery.endpoint, {
      principal: 'w1',
      curve: { keyPair: newKeys(), serverPublicKey: c.serverKeys.publicKey },
    });
    await stranger.send(report('w1', 'forged-stranger'));
    await w1.reports.send(report('w1', 'honest'));
    await waitFor('honest report acknowledged', () =>
      Promise.resolve(w1.reports.received.find((m) => m.type === 'ack')),
    );
    await sleep(100);
    const applied = c.intents.flatMap((i) => (i.kind === 'reports' ? i.reports.map((r) => r.id) : []));
    assert.deepEqual(applied, ['honest']);
    assert.deepEqual(w2.reports.received, []);
  }));

test('an unauthenticated command {leave} is refused; the control plane may still send one', () =>
  withCluster(async (c, w1) => {
    const leave: Message = {
      type: 'command',
      v: PROTOCOL_VERSION,
      id: 'rogue-1',
      workerId: 'w1',
      command: { kind: 'leave' },
    };
    const plaintext = c.attacker(c.gm.endpoint, { routingId: 'command-rogue' });
    await plaintext.send(leave);
    const w2 = await c.worker('w2');
    await w2.send({ ...leave, id: 'rogue-2' });
    await sleep(300);
    assert.equal(
      w1.received.some((m) => m.type === 'leave'),
      false,
    );
    assert.deepEqual(c.gm.connectedWorkers().sort(), ['w1', 'w2']);
    const commands = new ZmqWorkerCommandLink(c.gm.endpoint, silentLogger(), c.controlSecurity);
    try {
      const answer = await commands.request('w1', { kind: 'leave' }, 5000);
      assert.equal(answer.outcome, 'done');
      await waitFor('w1 told to leave', () => Promise.resolve(w1.received.find((m) => m.type === 'leave')));
    } finally {
      await commands.close();
    }
  }));

test('tokenless, wrong-token and wrong-key joins are refused; a revoked worker is cut off', () =>
  withCluster(async (c, w1) => {
    const enrol = async (workerId: string, token: string): Promise<string | undefined> => {
      const answer = await enrolAt(c.enrolEndpoint, workerId, token, newKeys(), c.serverKeys.publicKey);
      return answer?.type === 'reject' ? answer.reason : answer?.type;
    };
    assert.equal(await enrol('w3', ''), 'join token refused');
    assert.equal(await enrol('w4', 'guess'), 'join token refused');
    assert.equal(await enrol('w1', TOKEN), 'key not enrolled: id-taken');
    // The main socket enrols nobody: an unknown key, token or not, does not complete a handshake.
    const keyPair = newKeys();
    const direct = c.attacker(c.gm.endpoint, {
      principal: 'w5',
      curve: { keyPair, serverPublicKey: c.serverKeys.publicKey },
    });
    await direct.send(joinOf('w5', TOKEN, keyPair.publicKey));
    await sleep(300);
    assert.deepEqual(direct.received, []);
    assert.deepEqual(c.security.keyring.workers(), ['w1']);
    assert.equal(c.security.keyring.keyOf('w1'), w1.keyPair.publicKey);
    assert.equal(c.intents.filter((i) => i.kind === 'worker-joined').length, 1);

    // Revoked: its heartbeats no longer count, it is reported lost, and its key never rejoins.
    assert.equal(c.security.keyring.revoke('w1'), true);
    await waitFor('w1 lost', () =>
      Promise.resolve(c.intents.find((i) => i.kind === 'worker-lost') ? true : undefined),
    );
    const again = c.attacker(c.gm.endpoint, {
      principal: 'w1',
      curve: { keyPair: w1.keyPair, serverPublicKey: c.serverKeys.publicKey },
    });
    await again.send(joinOf('w1', TOKEN, w1.keyPair.publicKey));
    await sleep(300);
    assert.deepEqual(again.received, [], 'a revoked key does not even complete the handshake');
    assert.equal(
      await enrolAt(c.enrolEndpoint, 'w1', TOKEN, w1.keyPair, c.serverKeys.publicKey, 500),
      undefined,
      'nor at the enrolment socket',
    );
  }));

test('an operator revoking a worker in the keyring file (another process) cuts it off', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rswarm-ring-')), 'keyring.json');
  return withCluster(async (c, w1) => {
    // What `rswarm keys revoke w1` does, from its own process.
    assert.equal(Keyring.open(file).revoke('w1'), true);
    await waitFor('w1 lost', () =>
      Promise.resolve(c.intents.find((i) => i.kind === 'worker-lost') ? true : undefined),
    );
    await c.dispatch.dispatch({ assign: [assignmentFor('w1', 'after-revoke')], stop: [] });
    await sleep(200);
    assert.equal(
      w1.received.some((m) => m.type === 'assign'),
      false,
    );
  }, Keyring.open(file));
});

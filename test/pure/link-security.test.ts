/**
 * @module The worker link's key material: Z85, key and token files (mode 0600, generated once,
 * refused when others can read them), the keyring (one key per worker, revoke for good, shared
 * through its file), routing proofs and constant-time token comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';
import {
  claimedPrincipal,
  controlPlaneKeys,
  Keyring,
  KEY_FILES,
  loadOrCreateKeyPair,
  loadOrCreateSecret,
  provenRoutingId,
  secretsEqual,
  verifyRoutingId,
  workerJoinToken,
  workerLinkKeys,
  z85Decode,
  z85Encode,
} from '../../core/security/index.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rswarm-sec-'));
const modeOf = (file: string): number => statSync(file).mode & 0o777;

test('Z85 matches the RFC 32 example and round-trips a CurveZMQ key', () => {
  const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
  assert.equal(z85Encode(bytes), 'HelloWorld');
  assert.deepEqual(z85Decode('HelloWorld'), bytes);
  const { publicKey } = curveKeyPair();
  assert.equal(z85Encode(z85Decode(publicKey)), publicKey);
  assert.throws(() => z85Decode('Hello"orld'), /invalid character/);
});

test('a key pair and a secret are generated once into 0600 files and read back', () => {
  const dir = tmp();
  const pair = loadOrCreateKeyPair(join(dir, 'a.key'));
  assert.equal(modeOf(join(dir, 'a.key')), 0o600);
  assert.deepEqual(loadOrCreateKeyPair(join(dir, 'a.key')), pair);
  const secret = loadOrCreateSecret(join(dir, 'token'));
  assert.equal(modeOf(join(dir, 'token')), 0o600);
  assert.equal(loadOrCreateSecret(join(dir, 'token')), secret);
  assert.ok(secret.length >= 40);
  chmodSync(join(dir, 'a.key'), 0o644);
  assert.throws(() => loadOrCreateKeyPair(join(dir, 'a.key')), /readable or writable by others/);
});

test('the keyring maps one key to one worker, refuses conflicts and revoked keys, and persists', () => {
  const file = join(tmp(), 'keyring.json');
  const ring = Keyring.open(file);
  const a = curveKeyPair().publicKey;
  const b = curveKeyPair().publicKey;
  assert.equal(ring.enrol('w1', a, 1), 'enrolled');
  assert.equal(ring.enrol('w1', a, 2), 'known');
  assert.equal(ring.enrol('w1', b, 3), 'id-taken');
  assert.equal(ring.enrol('w2', a, 4), 'key-taken');
  assert.equal(modeOf(file), 0o600);
  const other = Keyring.open(file);
  assert.equal(other.keyOf('w1'), a);
  assert.equal(other.workerOf(a), 'w1');
  assert.equal(ring.revoke('w1'), true);
  assert.equal(ring.revoke('w1'), false);
  assert.equal(ring.enrol('w1', a, 5), 'revoked');
  assert.equal(ring.enrol('w1', b, 6), 'enrolled', 'a new key enrols again');
  other.refresh(true);
  assert.equal(other.isRevoked(a), true);
  assert.equal(other.keyOf('w1'), b);
  assert.ok(!readFileSync(file, 'utf8').includes('secret'));
});

test('a routing proof verifies only with the key that made it', () => {
  const server = curveKeyPair();
  const worker = curveKeyPair();
  const stranger = curveKeyPair();
  const id = provenRoutingId('w1', worker, server.publicKey);
  assert.equal(claimedPrincipal(id), 'w1');
  assert.ok(id.length <= 255);
  assert.equal(verifyRoutingId(id, server, worker.publicKey), true);
  assert.equal(verifyRoutingId(id, server, stranger.publicKey), false);
  assert.equal(
    verifyRoutingId(provenRoutingId('w1', stranger, server.publicKey), server, worker.publicKey),
    false,
  );
  assert.equal(verifyRoutingId(id.replace(/^w1/, 'w2'), server, worker.publicKey), false);
  assert.equal(verifyRoutingId('w1', server, worker.publicKey), false);
});

test('secrets compare by content, whatever their lengths', () => {
  assert.equal(secretsEqual('token', 'token'), true);
  assert.equal(secretsEqual('token', 'token2'), false);
  assert.equal(secretsEqual('', 'token'), false);
});

test('the control plane generates its keys and join token once; a worker on the same host reads them', () => {
  const dir = tmp();
  const keys = controlPlaneKeys(dir, '');
  assert.equal(modeOf(join(dir, KEY_FILES.controlPlane)), 0o600);
  assert.equal(modeOf(join(dir, KEY_FILES.joinToken)), 0o600);
  assert.equal(
    readFileSync(join(dir, KEY_FILES.controlPlanePublic), 'utf8').trim(),
    keys.server.keyPair.publicKey,
  );
  assert.equal(workerJoinToken(dir, ''), keys.joinToken);
  assert.equal(workerJoinToken(dir, 'configured'), 'configured');
  const w = workerLinkKeys(dir, 'w1', '');
  assert.equal(w.serverPublicKey, keys.server.keyPair.publicKey);
  assert.equal(modeOf(join(dir, KEY_FILES.worker('w1'))), 0o600);
  assert.throws(() => workerLinkKeys(tmp(), 'w1', ''), /controlPlanePublicKey/);
});

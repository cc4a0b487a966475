/**
 * @module known_hosts verification: a recorded key is accepted, an unknown host and a changed
 * key are refused with a message saying which, revoked keys are refused even when listed;
 * hashed names, `[host]:port`, wildcards and negation match as OpenSSH does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  keyTypeOfBlob,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
} from '../../management-engine/known-hosts.js';

/** An SSH public-key blob: string "ssh-ed25519", string <32 key bytes>. */
function blob(type = 'ssh-ed25519', key: Buffer = randomBytes(32)): Buffer {
  const sshString = (b: Buffer): Buffer => {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(b.length);
    return Buffer.concat([l, b]);
  };
  return Buffer.concat([sshString(Buffer.from(type)), sshString(key)]);
}

const line = (hosts: string, b: Buffer, marker = ''): string =>
  `${marker ? marker + ' ' : ''}${hosts} ${keyTypeOfBlob(b)} ${b.toString('base64')} comment`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

test('known key accepted; unknown host and changed key refused with distinct reasons', () => {
  const key = blob();
  const entries = parseKnownHosts(`# comment\n\n${line('[127.0.0.1]:2222', key)}\n`);
  assert.deepEqual(verifyHostKey(entries, '127.0.0.1', 2222, key, 'kh'), { ok: true, line: 3 });

  const other = verifyHostKey(entries, '127.0.0.1', 2222, blob(), 'kh');
  assert.equal(other.ok, false);
  assert.equal(!other.ok && other.reason, 'mismatch');
  assert.match(
    !other.ok ? other.message : '',
    /HOST KEY MISMATCH for \[127\.0\.0\.1\]:2222: .*kh.*line 3 \(ssh-ed25519\)/,
  );

  const unknown = verifyHostKey(entries, '127.0.0.1', 22, key, 'kh');
  assert.equal(!unknown.ok && unknown.reason, 'unknown', 'port 22 is a different name than [host]:2222');
  assert.match(
    !unknown.ok ? unknown.message : '',
    /host 127\.0\.0\.1 is not in kh \(0 of 1 entries match\).*ssh-keyscan 127\.0\.0\.1/,
  );
});

test('revoked key refused even when listed for the host', () => {
  const key = blob();
  const entries = parseKnownHosts([line('w1', key), line('*', key, '@revoked')].join('\n'));
  const v = verifyHostKey(entries, 'w1', 22, key, 'kh');
  assert.equal(!v.ok && v.reason, 'revoked');
  assert.match(!v.ok ? v.message : '', /@revoked in kh line 2/);
});

test('@cert-authority lines never accept a host key', () => {
  const key = blob();
  const v = verifyHostKey(parseKnownHosts(line('*', key, '@cert-authority')), 'w1', 22, key, 'kh');
  assert.equal(!v.ok && v.reason, 'unknown');
});

const MATCHES: readonly [string, string, number, boolean][] = [
  ['w1.lab,10.0.0.1', '10.0.0.1', 22, true],
  ['w1.lab,10.0.0.1', 'w1.lab', 22, true],
  ['W1.LAB', 'w1.lab', 22, true],
  ['*.lab', 'w7.lab', 22, true],
  ['w?.lab', 'w7.lab', 22, true],
  ['w?.lab', 'w17.lab', 22, false],
  ['*.lab,!db.lab', 'db.lab', 22, false],
  ['[w1.lab]:2222', 'w1.lab', 2222, true],
  ['[w1.lab]:2222', 'w1.lab', 22, false],
  ['w1.lab', 'w1.lab', 2222, false],
  ['10.0.0.1', '10.0.0.10', 22, false],
];

for (const [patterns, host, port, ok] of MATCHES) {
  test(`pattern "${patterns}" ${ok ? 'matches' : 'does not match'} ${knownHostsName(host, port)}`, () => {
    const key = blob();
    assert.equal(verifyHostKey(parseKnownHosts(line(patterns, key)), host, port, key, 'kh').ok, ok);
  });
}

test('hashed host names (HashKnownHosts) match only their host', () => {
  const key = blob();
  const entries = parseKnownHosts(line(hashed('[10.0.0.5]:2200'), key));
  assert.equal(verifyHostKey(entries, '10.0.0.5', 2200, key, 'kh').ok, true);
  assert.equal(verifyHostKey(entries, '10.0.0.6', 2200, key, 'kh').ok, false);
});

test('malformed lines are skipped, not fatal', () => {
  const key = blob();
  const entries = parseKnownHosts(`garbage\nhost-only ssh-rsa\n${line('w1', key)}`);
  assert.equal(entries.length, 1);
  assert.equal(verifyHostKey(entries, 'w1', 22, key, 'kh').ok, true);
});

test('property: a host accepts exactly the keys recorded for it', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.constantFrom('a.lab', 'b.lab', 'c.lab'), fc.uint8Array({ minLength: 32, maxLength: 32 })),
        {
          maxLength: 8,
        },
      ),
      fc.constantFrom('a.lab', 'b.lab', 'c.lab'),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.boolean(),
      (records, host, probeKey, useRecorded) => {
        const blobs = records.map(([h, k]) => [h, blob('ssh-ed25519', Buffer.from(k))] as const);
        const entries = parseKnownHosts(blobs.map(([h, b]) => line(h, b)).join('\n'));
        const mine = blobs.filter(([h]) => h === host).map(([, b]) => b);
        const key = useRecorded && mine.length > 0 ? mine[0]! : blob('ssh-ed25519', Buffer.from(probeKey));
        const v = verifyHostKey(entries, host, 22, key, 'kh');
        const recorded = mine.some((b) => b.equals(key));
        assert.equal(v.ok, recorded);
        if (!v.ok) assert.equal(v.reason, mine.length > 0 ? 'mismatch' : 'unknown');
      },
    ),
  );
});

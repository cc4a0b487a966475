/**
 * @module Networks for the anonymous compatibility access (issue 14, item 6): CIDR parsing and
 * matching (IPv4, IPv6, IPv4-mapped peers), and the `compat` settings with their environment
 * variables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressInNetworks, parseAddress, parseCidr, LOOPBACK_CIDRS } from '../../core/security/cidr.js';
import { loadConfig, ConfigError } from '../../core/config/index.js';

const nets = (...texts: string[]) =>
  texts.map((t) => parseCidr(t) as NonNullable<ReturnType<typeof parseCidr>>);

test('addresses match the networks they lie in, and only those', () => {
  const cases: [address: string | undefined, networks: string[], expected: boolean][] = [
    ['127.0.0.1', LOOPBACK_CIDRS as string[], true],
    ['127.8.9.10', LOOPBACK_CIDRS as string[], true],
    ['::1', LOOPBACK_CIDRS as string[], true],
    ['::ffff:127.0.0.1', LOOPBACK_CIDRS as string[], true], // a dual-stack socket's IPv4 peer
    ['128.0.0.1', LOOPBACK_CIDRS as string[], false],
    ['::2', LOOPBACK_CIDRS as string[], false],
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['192.168.1.77', ['192.168.1.64/26'], true],
    ['192.168.1.128', ['192.168.1.64/26'], false],
    ['10.0.0.5', ['10.0.0.5'], true], // a bare address is one host
    ['10.0.0.6', ['10.0.0.5'], false],
    ['10.0.0.6', ['10.0.0.5/24'], true], // host bits of the network are cleared
    ['1.2.3.4', ['0.0.0.0/0'], true],
    ['fd00::1:2', ['fd00::/8'], true],
    ['fe80::1%eth0', ['fe80::/10'], true],
    ['2001:db8::1', ['fd00::/8'], false],
    ['10.1.2.3', ['::ffff:10.0.0.0/104'], true], // an IPv4-mapped network is its IPv4 network
    ['10.1.2.3', ['::/0'], false], // IPv4 peers are compared as IPv4
    [undefined, ['0.0.0.0/0'], false],
    ['not-an-address', ['0.0.0.0/0'], false],
  ];
  for (const [address, networks, expected] of cases)
    assert.equal(
      addressInNetworks(address, nets(...networks)),
      expected,
      `${address} in ${networks.join(',')}`,
    );
});

test('malformed networks are refused', () => {
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'x/8', '10.0.0.0/', '10.0.0.0/-1', ''])
    assert.equal(parseCidr(bad), undefined, bad);
});

test('property: an IPv4 address is in every network built from it, and its mapped form is the same address', () => {
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
      assert.ok(addressInNetworks(ip, nets(`${ip}/${prefix}`)));
      assert.deepEqual(parseAddress(`::ffff:${ip}`), parseAddress(ip));
    }),
  );
});

test('property: an IPv6 address is in every network built from it and parses as its expanded form', () => {
  fc.assert(
    fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (ip, prefix) => {
      const parsed = parseAddress(ip);
      assert.ok(parsed);
      if (parsed.family === 6) assert.ok(addressInNetworks(ip, nets(`${ip}/${prefix}`)));
    }),
  );
});

test('compat settings: off by default; environment and file; bad networks name the field', () => {
  const d = loadConfig({ env: {} });
  assert.deepEqual(d.compat, { allowAnonymous: false, anonymousNetworks: [] });
  const e = loadConfig({
    env: { RSWARM_COMPAT_ANONYMOUS: '1', RSWARM_COMPAT_NETWORKS: '10.0.0.0/8, 192.168.1.0/24 fd00::/8' },
  });
  assert.deepEqual(e.compat, {
    allowAnonymous: true,
    anonymousNetworks: ['10.0.0.0/8', '192.168.1.0/24', 'fd00::/8'],
  });
  assert.equal(loadConfig({ env: { RSWARM_COMPAT_ANONYMOUS: 'false' } }).compat.allowAnonymous, false);
  assert.throws(
    () => loadConfig({ env: { RSWARM_COMPAT_ANONYMOUS: 'maybe' } }),
    (err: Error) => err instanceof ConfigError && /RSWARM_COMPAT_ANONYMOUS/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ env: {}, overrides: { compat: { anonymousNetworks: ['10.0.0.0/40'] } } }),
    /compat\.anonymousNetworks\.0: "10\.0\.0\.0\/40" is not a network/,
  );
});

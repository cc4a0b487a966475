/**
 * @module Cluster file: defaults, path resolution, the example file, and bad input refused with
 * a message naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterFileError, loadClusterFile, parseClusterSpec } from '../../management-engine/cluster-file.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/cluster.yaml', import.meta.url));

function minimal(): Record<string, any> {
  return {
    controlPlane: {
      backends: { mode: 'external', mongoUrl: 'mongodb://db/rswarm', redisUrl: 'redis://r:6379' },
    },
    workers: [{ host: 'w1.lab', user: 'ops', identityFile: 'keys/id', cwd: '/opt/rswarm', workerId: 'w1' }],
  };
}

test('defaults: ports, strict host-key checking, worker command, paths relative to the file', () => {
  const c = parseClusterSpec(minimal(), '/etc/rswarm/cluster.yaml', '/etc/rswarm', '/home/ops');
  assert.deepEqual(c.controlPlane.ports, {
    frontend: 5001,
    globalManager: 3100,
    enrolment: 3101,
    discovery: 4000,
    jobManager: 2990,
  });
  assert.equal(c.controlPlane.bindHost, '127.0.0.1');
  assert.equal(c.logDir, '/etc/rswarm/.rswarm/cluster');
  const w = c.workers[0]!;
  assert.equal(w.port, 22);
  assert.equal(w.strictHostKeyChecking, true);
  assert.equal(w.identityFile, '/etc/rswarm/keys/id');
  assert.equal(w.knownHosts, undefined, 'the engine falls back to ~/.ssh/known_hosts');
  assert.deepEqual(w.command, ['node', 'bin/rswarm.js', 'worker']);
  assert.equal(w.runtime, 'docker');
  assert.equal(c.stopGraceMs, 10_000);
});

test('"~/" expands to the home directory; a quoted command splits into argv', () => {
  const doc = minimal();
  doc.workers[0].identityFile = '~/.ssh/id_ed25519';
  doc.workers[0].knownHosts = '~/.ssh/known_hosts';
  doc.workers[0].command = `/usr/bin/node --import tsx "cli/main.ts" worker`;
  const w = parseClusterSpec(doc, 'c.yaml', '/etc', '/home/ops').workers[0]!;
  assert.equal(w.identityFile, '/home/ops/.ssh/id_ed25519');
  assert.equal(w.knownHosts, '/home/ops/.ssh/known_hosts');
  assert.deepEqual(w.command, ['/usr/bin/node', '--import', 'tsx', 'cli/main.ts', 'worker']);
});

test('the example cluster file is valid', () => {
  const c = loadClusterFile(EXAMPLE);
  assert.equal(c.workers.length, 2);
  assert.equal(c.controlPlane.advertiseHost, '10.0.0.1');
  assert.equal(c.stress?.enabled, false);
});

test('missing backend URLs come from MONGO_URL / REDIS_URL, else are required', () => {
  const doc = minimal();
  delete doc.controlPlane.backends.mongoUrl;
  delete doc.controlPlane.backends.redisUrl;
  const c = parseClusterSpec(doc, 'c.yaml', '/', '/home', {
    mongoUrl: 'mongodb://env/db',
    redisUrl: 'redis://env',
  });
  assert.deepEqual(c.controlPlane.backends, {
    mode: 'external',
    mongoUrl: 'mongodb://env/db',
    redisUrl: 'redis://env',
    queueName: 'rswarm-jobs',
  });
  assert.throws(
    () => parseClusterSpec(doc, 'c.yaml', '/', '/home', {}),
    /controlPlane\.backends\.mongoUrl: is required \(or set MONGO_URL\)\n {2}controlPlane\.backends\.redisUrl: is required \(or set REDIS_URL\)/,
  );
  const given = parseClusterSpec(minimal(), 'c.yaml', '/', '/home', { mongoUrl: 'mongodb://env/db' });
  assert.equal(
    given.controlPlane.backends.mode === 'external' && given.controlPlane.backends.mongoUrl,
    'mongodb://db/rswarm',
    'the file wins',
  );
});

test('embedded backends need no URLs', () => {
  const doc = minimal();
  doc.controlPlane.backends = { mode: 'embedded' };
  assert.equal(parseClusterSpec(doc, 'c.yaml', '/').controlPlane.backends.mode, 'embedded');
});

const BAD: readonly [string, (d: Record<string, any>) => void, RegExp][] = [
  ['missing backends', (d) => delete d.controlPlane.backends, /controlPlane\.backends/],
  ['unknown backend mode', (d) => (d.controlPlane.backends.mode = 'sqlite'), /controlPlane\.backends\.mode/],
  [
    'mongo URL scheme',
    (d) => (d.controlPlane.backends.mongoUrl = 'http://db'),
    /controlPlane\.backends\.mongoUrl: must be a mongodb:\/\/ URL/,
  ],
  ['port out of range', (d) => (d.controlPlane.ports = { frontend: 70000 }), /controlPlane\.ports\.frontend/],
  [
    'two components on one port',
    (d) => (d.controlPlane.ports = { frontend: 4000 }),
    /controlPlane\.ports\.(frontend|discovery): port 4000 is also/,
  ],
  [
    'short token',
    (d) => (d.controlPlane.token = 'abc'),
    /controlPlane\.token: must be at least 16 characters/,
  ],
  [
    'bind 0.0.0.0 without advertiseHost',
    (d) => (d.controlPlane.bindHost = '0.0.0.0'),
    /controlPlane\.advertiseHost: is required when bindHost is 0\.0\.0\.0/,
  ],
  ['worker without user', (d) => delete d.workers[0].user, /workers\.0\.user/],
  ['worker without identityFile', (d) => delete d.workers[0].identityFile, /workers\.0\.identityFile/],
  ['host with a space', (d) => (d.workers[0].host = 'a b'), /workers\.0\.host: must be a host name/],
  ['runtime', (d) => (d.workers[0].runtime = 'podman'), /workers\.0\.runtime/],
  [
    'strictHostKeyChecking as a string',
    (d) => (d.workers[0].strictHostKeyChecking = 'no'),
    /workers\.0\.strictHostKeyChecking/,
  ],
  [
    'command with &&',
    (d) => (d.workers[0].command = 'cd /x && node cli/main.ts worker'),
    /workers\.0\.command: .*one simple command/,
  ],
  [
    'duplicate worker id',
    (d) => d.workers.push({ ...d.workers[0], host: 'w2' }),
    /workers\.1\.workerId: "w1" is also the id of workers\[0\]/,
  ],
  [
    'bad env name',
    (d) => (d.workers[0].env = { 'A-B': '1' }),
    /workers\.0\.env\.A-B: is not a variable name/,
  ],
  ['unknown key', (d) => (d.workers[0].passwd = 'x'), /workers\.0: Unrecognized key: "passwd"/],
  ['stress without args', (d) => (d.stress = { args: [] }), /stress\.args/],
];

for (const [name, mutate, message] of BAD) {
  test(`refused: ${name}`, () => {
    const doc = minimal();
    mutate(doc);
    assert.throws(
      () => parseClusterSpec(doc, '/x/cluster.yaml', '/x'),
      (e: Error) =>
        e instanceof ClusterFileError &&
        /invalid cluster file \/x\/cluster\.yaml/.test(e.message) &&
        message.test(e.message),
    );
  });
}

test('unreadable and non-YAML files are named', () => {
  assert.throws(
    () => loadClusterFile('/nonexistent/cluster.yaml'),
    /cannot read cluster file \/nonexistent\/cluster\.yaml/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-cf-'));
  writeFileSync(join(dir, 'bad.yaml'), 'workers: [\n');
  try {
    assert.throws(() => loadClusterFile(join(dir, 'bad.yaml')), /bad\.yaml is not YAML/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * @module Configuration: defaults, precedence (file < env < overrides), validation, freezing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError, parseDurationMs } from '../../core/config/index.js';

test('defaults: port 5001, best-fit, in-memory backends', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.http.port, 5001);
  assert.equal(c.scheduler.strategy, 'best-fit');
  assert.equal(c.backends.store, 'memory');
  assert.equal(c.cluster.heartbeatTimeoutMs, 5000);
});

test('file < env < overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'http:\n  port: 6000\n  host: 0.0.0.0\ncluster:\n  heartbeatTimeoutMs: 10s\n');
  const c = loadConfig({
    file,
    env: { RSWARM_PORT: '7000', MONGO_URL: 'mongodb://x/db' },
    overrides: { logLevel: 'debug' },
  });
  assert.equal(c.http.port, 7000);
  assert.equal(c.http.host, '0.0.0.0');
  assert.equal(c.cluster.heartbeatTimeoutMs, 10_000);
  assert.equal(c.backends.mongoUrl, 'mongodb://x/db');
  assert.equal(c.logLevel, 'debug');
});

test('invalid values name the field', () => {
  assert.throws(
    () => loadConfig({ env: { RSWARM_PORT: 'abc' } }),
    (e: Error) => e instanceof ConfigError && /RSWARM_PORT/.test(e.message),
  );
  assert.throws(() => loadConfig({ env: {}, overrides: { http: { port: 70000 } } }), /http\.port/);
  assert.throws(() => loadConfig({ env: { RSWARM_STORE: 'postgres' } }), /backends\.store/);
  assert.throws(
    () =>
      loadConfig({
        env: {},
        overrides: { cluster: { heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 1000 } },
      }),
    /cluster\.heartbeatTimeoutMs/,
  );
  assert.throws(() => loadConfig({ env: {}, overrides: { bogus: 1 } as never }), /bogus|Unrecognized/);
});

test('the result is deeply frozen', () => {
  const c = loadConfig({ env: {} });
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.http));
  assert.ok(Object.isFrozen(c.job.volumeAllowList));
});

test('durations', () => {
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('5s'), 5000);
  assert.equal(parseDurationMs('1.5m'), 90_000);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs('100'), 100);
  assert.equal(parseDurationMs('5 parsecs'), undefined);
});

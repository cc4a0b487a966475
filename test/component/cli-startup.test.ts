/**
 * @module The built `rswarm` (issue 13, item 1): `rswarm --help`, every command's help and a
 * client command load none of the heavy packages (control plane, ZeroMQ, Docker, databases,
 * queue, charts, SSH) and `--help` ends quickly; the built all-in-one finds its files (OpenAPI
 * spec, Swagger UI, dashboard) from dist/ and serves them. Builds dist/ first when it is missing
 * or older than the source (CI's `npm ci` has built it).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_MAIN, ensureBuilt, packagesOf, runBuilt } from '../support/built-cli.js';
import { SAMPLE_JOB_PATH } from '../support/sample-job.js';

/** Packages only the commands that run something may load. */
const HEAVY = [
  'zeromq',
  'mongodb',
  'dockerode',
  'bullmq',
  'ioredis',
  'vega',
  'vega-lite',
  '@resvg/resvg-js',
  'ssh2',
  'express',
  'prom-client',
];

/** What `--help` must stay under on a loaded 2-core machine (it takes ~0.2 s quiet). */
const HELP_BUDGET_MS = 3000;

before(() => ensureBuilt(), { timeout: 300_000 });

const LIGHT_COMMANDS: readonly (readonly string[])[] = [
  ['--help'],
  ['all-in-one', '--help'],
  ['worker', '--help'],
  ['stress', 'steady', '--help'],
  ['stress', 'http', '--help'],
  ['compare', 'random', '--help'],
  ['cluster', 'up', '--help'],
  ['keys', '--help'],
  ['validate', SAMPLE_JOB_PATH],
];

for (const args of LIGHT_COMMANDS) {
  test(`rswarm ${args.join(' ')} loads no heavy package`, async () => {
    const r = await runBuilt(args, { record: true });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.loaded.some((l) => l.endsWith('/dist/cli/main.js')),
      'the recorder saw the built entry',
    );
    assert.ok(packagesOf(r.loaded).has('commander'), 'the recorder saw packages');
    const heavy = HEAVY.filter((p) => packagesOf(r.loaded).has(p));
    assert.deepEqual(heavy, [], `loaded: ${heavy.join(', ')}`);
  });
}

test('rswarm keys list reads the keyring without loading ZeroMQ', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rswarm-keyring-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
  writeFileSync(
    join(dir, 'keyring.json'),
    JSON.stringify({ version: 1, workers: { 'w-a': { publicKey: key, enrolledAt: 1 } }, revoked: [] }),
    { mode: 0o600 },
  );
  const r = await runBuilt(['keys', 'list'], { record: true, cwd: dir, env: { RSWARM_KEYS_DIR: dir } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `w-a\t${key}\n`);
  const heavy = HEAVY.filter((p) => packagesOf(r.loaded).has(p));
  assert.deepEqual(heavy, [], `loaded: ${heavy.join(', ')}`);
});

test('rswarm --help from dist/ answers quickly and lists the commands', async () => {
  const r = await runBuilt(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const cmd of ['all-in-one', 'worker', 'cluster', 'stress', 'compare', 'keys', 'validate'])
    assert.match(r.stdout, new RegExp(`^  ${cmd}\\b`, 'm'));
  assert.ok(r.ms < HELP_BUDGET_MS, `--help took ${Math.round(r.ms)} ms`);
});

test('the built all-in-one serves the API, the Swagger UI and the dashboard from dist/', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'rswarm-built-aio-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [BUILT_MAIN, 'all-in-one', '--free-ports', '--runtime', 'simulated'],
    {
      cwd,
      env: { ...process.env, RSWARM_CONFIG: '', RSWARM_STATE: 'memory', RSWARM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^Control state /m.test(out)) resolve(out);
    });
    void exited.then((code) => reject(new Error(`all-in-one exited ${code}:\n${out}\n${err}`)));
  });
  const api = /^RESTfulSwarm API\s+(\S+)$/m.exec(banner)?.[1];
  const token = /^Bearer token\s+(\S+)/m.exec(banner)?.[1];
  assert.ok(api && token, banner);
  const base = api.replace(/\/api\/v1$/, '');
  const jobs = await fetch(`${api}/jobs`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(jobs.status, 200);
  await jobs.arrayBuffer();
  for (const path of ['/docs/', '/ui']) {
    const page = await fetch(base + path);
    assert.equal(page.status, 200, path);
    assert.match(await page.text(), /<html/i, path);
  }
  // The spec the validator uses is the package's openapi.yaml: a bad body is refused by it.
  const bad = await fetch(`${api}/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(bad.status, 400);
  await bad.arrayBuffer();
});

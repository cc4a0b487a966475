/**
 * @module `rswarm stress http` (spawned CLI) against a real service on the real services
 * (FerretDB, Redis, dockerd): a Docker worker, the gateway, a service scaled to zero whose replica
 * is busybox `httpd`. A step load (0, then 20 req/s, then 0) cold-starts one replica, every
 * request is answered, and once the load ends the idle replica is stopped; the report holds the
 * replicas-and-latency chart. `RSWARM_STRESS_HTTP_OUT=<dir>` keeps the report there (the one in
 * docs/figures/stress-http/ was made so); otherwise it goes to a temporary folder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, type Cluster } from '../support/control-plane-harness.js';
import {
  closeDockerGatewayCluster,
  httpdServing,
  startDockerGatewayCluster,
} from '../support/docker-gateway-cluster.js';
import { SERVICES, uniqueName } from '../support/services.js';

const HTTPD = httpdServing('hello from $HOSTNAME');

let c: Cluster;
const workerId = uniqueName('rswarm-it-stress-http');

before(async () => {
  c = await startDockerGatewayCluster(workerId, { coreIds: [0, 1] });
});

after(async () => {
  await closeDockerGatewayCluster(c, workerId);
});

test(
  'one rswarm stress http run: a step load on a service at zero, report of replicas and latency',
  { timeout: 180_000 },
  async () => {
    const service = uniqueName('web');
    const created = await c.api('POST', '/api/v1/services', {
      name: service,
      image: SERVICES.testImage,
      command: HTTPD,
      port: 8080,
      cores: 1,
      memory: '16m',
      maxReplicas: 2,
      idleTimeoutMs: 2000,
    });
    assert.equal(created.status, 201, created.text);
    const out =
      process.env['RSWARM_STRESS_HTTP_OUT'] ||
      join(mkdtempSync(join(tmpdir(), 'rswarm-stress-http-')), 'report');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'cli/main.ts',
            'stress',
            'http',
            '--service',
            service,
            '--path',
            '/index.html',
            '--gateway',
            c.plane.gatewayUrl as string,
            '--url',
            c.url,
            '--profile',
            'step',
            '--rates',
            '0,20,20,0',
            '--step',
            '3s',
            '--tail',
            '12s',
            '--out',
            out,
          ],
          {
            cwd: process.cwd(),
            env: { ...process.env, RSWARM_CONFIG: '', RSWARM_TOKEN: c.token },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      },
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.planned, 120);
    assert.equal(summary.ok, 120, run.stdout);
    assert.equal(summary.peakReplicas, 1, 'a cold start under load starts one replica');
    const samples = readFileSync(join(out, 'replicas.csv'), 'utf8').trim().split('\n').slice(1);
    const live = samples.map((l) => Number(l.split(',')[2]));
    assert.equal(live[0], 0, 'at zero before the load');
    assert.ok(live.includes(1));
    assert.ok(existsSync(join(out, 'replicas-latency.svg')) && existsSync(join(out, 'report.html')));
    // The idle replica is stopped after the load (idleTimeoutMs 2 s, gateway idle check every 5 s).
    await waitFor(
      'the idle replica stopped',
      async () =>
        ((await c.api('GET', `/api/v1/services/${service}`)).body as { replicas: unknown[] }).replicas
          .length === 0
          ? true
          : undefined,
      30_000,
    );
    assert.equal((await c.api('DELETE', `/api/v1/services/${service}`)).status, 202);
  },
);

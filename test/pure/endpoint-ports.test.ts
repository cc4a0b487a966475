/**
 * @module Ports of the all-in-one (issue 13, item 8): a busy endpoint is one line naming the
 * component, the address and the setting to change (before the start, and from a bind error of
 * Node or ZeroMQ); --free-ports gives every endpoint a port of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { Registry } from 'prom-client';
import { Router } from 'zeromq';
import {
  busyPortLineOf,
  ENDPOINTS,
  firstBusyEndpoint,
  freePortOverrides,
  mergeSections,
  tcpAddressOf,
} from '../../cli/endpoint-ports.js';
import { loadConfig, type ConfigInput } from '../../core/config/index.js';
import { freePort } from '../../core/transport/free-port.js';
import { serveMetrics } from '../../cli/metrics-server.js';

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 };
}

async function freeConfig(extra: ConfigInput = {}): Promise<ReturnType<typeof loadConfig>> {
  const base = loadConfig({ env: {}, overrides: {} });
  return loadConfig({ env: {}, overrides: mergeSections(await freePortOverrides(base), extra) });
}

test('every endpoint names its environment variable and setting', () => {
  assert.deepEqual(
    ENDPOINTS.map((e) => e.env),
    [
      'RSWARM_JOB_MANAGER_ENDPOINT',
      'RSWARM_MANAGER_ENDPOINT',
      'RSWARM_ENROL_ENDPOINT',
      'RSWARM_DISCOVERY_ENDPOINT',
      'RSWARM_PORT',
      'RSWARM_GATEWAY_PORT',
    ],
  );
  assert.deepEqual(tcpAddressOf('tcp://*:3100'), { host: '0.0.0.0', port: 3100 });
  assert.equal(tcpAddressOf('ipc:///tmp/x'), undefined);
  assert.equal(tcpAddressOf('http://127.0.0.1:0'), undefined);
});

test('a busy port before the start: one line with the component, the address and the setting', async () => {
  const held = await holdPort();
  try {
    const c = await freeConfig({ cluster: { managerEndpoint: `tcp://127.0.0.1:${held.port}` } });
    assert.equal(
      await firstBusyEndpoint(c),
      `GlobalManager: tcp://127.0.0.1:${held.port} is in use — set RSWARM_MANAGER_ENDPOINT or cluster.managerEndpoint (or run with --free-ports)`,
    );
    const http = await freeConfig({ http: { port: held.port } });
    assert.match(
      (await firstBusyEndpoint(http)) ?? '',
      /^FrontEnd: http:\/\/127\.0\.0\.1:\d+ is in use — set RSWARM_PORT or http\.port/,
    );
    assert.equal(await firstBusyEndpoint(await freeConfig()), undefined);
  } finally {
    held.server.close();
  }
});

test('a bind error from ZeroMQ or Node becomes the same line', async () => {
  const port = await freePort();
  const c = await freeConfig({ cluster: { discoveryEndpoint: `tcp://127.0.0.1:${port}` } });
  const first = new Router();
  const second = new Router();
  try {
    await first.bind(`tcp://127.0.0.1:${port}`);
    const err = await second.bind(`tcp://127.0.0.1:${port}`).then(
      () => assert.fail('the second bind succeeded'),
      (e: unknown) => e,
    );
    assert.equal(
      busyPortLineOf(err, c),
      `Discovery: tcp://127.0.0.1:${port} is in use — set RSWARM_DISCOVERY_ENDPOINT or cluster.discoveryEndpoint (or run with --free-ports)`,
    );
  } finally {
    first.close();
    second.close();
  }
  const node = Object.assign(
    new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${c.gateway.port}`),
    {
      code: 'EADDRINUSE',
      port: c.gateway.port,
    },
  );
  assert.match(
    busyPortLineOf(node, c) ?? '',
    /^Gateway: .* is in use — set RSWARM_GATEWAY_PORT or gateway\.port/,
  );
  assert.equal(busyPortLineOf(new Error('something else'), c), undefined);
});

test("a standalone component's busy metrics port is named too, without --free-ports", async () => {
  const held = await serveMetrics(new Registry(), '127.0.0.1', 0);
  const port = Number(new URL(held.url).port);
  try {
    const c = await freeConfig({ metrics: { port } });
    const err = await serveMetrics(new Registry(), '127.0.0.1', port).then(
      () => assert.fail('the second bind succeeded'),
      (e: unknown) => e,
    );
    assert.equal(
      busyPortLineOf(err, c),
      `Metrics: http://127.0.0.1:${port} is in use — set RSWARM_METRICS_PORT or metrics.port`,
    );
    // With metrics off (port 0, the default) the same error names nothing of this configuration.
    assert.equal(busyPortLineOf(err, await freeConfig()), undefined);
  } finally {
    await held.close();
  }
});

test('--free-ports: every endpoint gets its own port', async () => {
  const c = await freeConfig();
  const ports = ENDPOINTS.map((e) => tcpAddressOf(e.address(c))?.port);
  assert.ok(ports.every((p) => p !== undefined && p > 0));
  assert.equal(new Set(ports).size, ports.length);
});

/**
 * A running {@link Gateway} on an ephemeral port in front of a {@link FakeReplicaDirectory}, and a
 * small HTTP client for the tests.
 */
import { request } from 'node:http';
import { systemClock } from '../../core/clock/clock.js';
import { silentLogger } from '../../core/log/logger.js';
import { Gateway, type GatewayOptions } from '../../gateway/index.js';
import { FakeReplicaDirectory } from './fake-replica-directory.js';

/** The API token every harness gateway requires. */
export const GATEWAY_TOKEN = 'gateway-test-token';

/** A gateway and its directory; `close()` stops both. */
export interface GatewayHarness {
  readonly gateway: Gateway;
  readonly directory: FakeReplicaDirectory;
  close(): Promise<void>;
}

/**
 * Starts a gateway on 127.0.0.1:0. Timers default to long periods so a test opts into the probes
 * and idle checks it exercises.
 */
export async function startGateway(
  options: Partial<GatewayOptions> = {},
  directory = new FakeReplicaDirectory(),
): Promise<GatewayHarness> {
  const gateway = await Gateway.create(
    {
      port: 0,
      apiToken: GATEWAY_TOKEN,
      coldStartBudgetMs: 5_000,
      probeIntervalMs: 60_000,
      idleCheckIntervalMs: 60_000,
      ...options,
    },
    { directory, clock: systemClock, logger: silentLogger() },
  );
  await gateway.run();
  return {
    gateway,
    directory,
    close: async () => {
      await gateway.close();
      await directory.close();
    },
  };
}

/** A response read whole. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: any;
}

/**
 * Sends one request on its own connection (no pooling between test requests) and reads the whole
 * answer. `token` null sends no Authorization header.
 */
export function call(
  url: string,
  init: {
    method?: string;
    token?: string | null;
    headers?: Record<string, string>;
    body?: string | Buffer;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  const token = init.token === undefined ? GATEWAY_TOKEN : init.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = String(res.headers['content-type'] ?? '').includes('json') && text;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          body: json ? JSON.parse(text) : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Polls `cond` every 10 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';

/** An app listening on an ephemeral loopback port, with a small fetch helper. */
export interface HttpHarness {
  readonly url: string;
  request(
    method: string,
    path: string,
    init?: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; text: string; type: string }>;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1:0. */
export async function listen(app: Express): Promise<HttpHarness> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
      let body: string | undefined = init.rawBody;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      return {
        status: res.status,
        text,
        type,
        body: type.includes('json') && text ? JSON.parse(text) : undefined,
      };
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

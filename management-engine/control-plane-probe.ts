/**
 * The port through which the management engine looks at a running control plane: is a TCP
 * port open, does the FrontEnd answer `/healthz`, what do `/api/v1/workers` and
 * `/api/v1/manager` say. The real adapter uses `node:net` and `fetch`.
 */
import { connect } from 'node:net';

/** The API's view of one worker (the fields the engine uses). */
export interface WorkerSummary {
  readonly id: string;
  readonly state: string;
}

/** The API's view of the control plane (the fields the engine uses). */
export interface ManagerSummary {
  readonly queueDepth: number;
  readonly workers: Readonly<Record<string, number>>;
  readonly strategy: string;
}

/** Looks at a control plane from outside. */
export interface ControlPlaneProbe {
  /** True when something accepts TCP connections on host:port. */
  portOpen(host: string, port: number): Promise<boolean>;
  /** HTTP status of GET `<url>/healthz`, or undefined when nothing answers. */
  health(url: string): Promise<number | undefined>;
  workers(url: string, token: string): Promise<WorkerSummary[]>;
  manager(url: string, token: string): Promise<ManagerSummary>;
}

async function getJson(url: string, token: string): Promise<unknown> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The real probe. */
export function createHttpProbe(): ControlPlaneProbe {
  return {
    portOpen: (host, port) =>
      new Promise((resolve) => {
        const s = connect({ host, port });
        const done = (ok: boolean): void => {
          s.destroy();
          resolve(ok);
        };
        s.setTimeout(1000, () => done(false));
        s.once('connect', () => done(true));
        s.once('error', () => done(false));
      }),
    async health(url) {
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return undefined;
      }
    },
    async workers(url, token) {
      const body = await getJson(`${url}/api/v1/workers`, token);
      if (!Array.isArray(body)) throw new Error(`GET ${url}/api/v1/workers: not a list`);
      return body.map((w: { id: string; state: string }) => ({ id: w.id, state: w.state }));
    },
    async manager(url, token) {
      const body = (await getJson(`${url}/api/v1/manager`, token)) as ManagerSummary;
      return { queueDepth: body.queueDepth, workers: body.workers, strategy: body.strategy };
    },
  };
}

import { createServer } from 'node:net';
import type { Config, ConfigInput } from '../core/config/index.js';
import { freePort } from '../core/transport/free-port.js';

/**
 * One address a control-plane process binds, and the settings that move it: what a person needs
 * when the port is taken (issue 13, item 8).
 */
export interface EndpointSetting {
  /** The component, as named in logs and the README. */
  readonly component: string;
  /** Environment variable that sets it. */
  readonly env: string;
  /** Configuration path that sets it. */
  readonly setting: string;
  /** The address as configured, e.g. `tcp://127.0.0.1:3100` or `http://127.0.0.1:5001`. */
  address(c: Config): string;
}

/** Every endpoint of an all-in-one, in start order. The enrolment socket exists with `curve` only. */
export const ENDPOINTS: readonly EndpointSetting[] = [
  {
    component: 'JobManager',
    env: 'RSWARM_JOB_MANAGER_ENDPOINT',
    setting: 'cluster.jobManagerEndpoint',
    address: (c) => c.cluster.jobManagerEndpoint,
  },
  {
    component: 'GlobalManager',
    env: 'RSWARM_MANAGER_ENDPOINT',
    setting: 'cluster.managerEndpoint',
    address: (c) => c.cluster.managerEndpoint,
  },
  {
    component: 'GlobalManager enrolment',
    env: 'RSWARM_ENROL_ENDPOINT',
    setting: 'cluster.enrolEndpoint',
    address: (c) => c.cluster.enrolEndpoint,
  },
  {
    component: 'Discovery',
    env: 'RSWARM_DISCOVERY_ENDPOINT',
    setting: 'cluster.discoveryEndpoint',
    address: (c) => c.cluster.discoveryEndpoint,
  },
  {
    component: 'FrontEnd',
    env: 'RSWARM_PORT',
    setting: 'http.port',
    address: (c) => `http://${c.http.host}:${c.http.port}`,
  },
  {
    component: 'Gateway',
    env: 'RSWARM_GATEWAY_PORT',
    setting: 'gateway.port',
    address: (c) => `http://${c.gateway.host}:${c.gateway.port}`,
  },
];

/**
 * The `/metrics` endpoint of a component run alone (`metrics.port` > 0; an all-in-one serves its
 * metrics at the FrontEnd and never binds it, so it is not in {@link ENDPOINTS}).
 */
export const STANDALONE_METRICS: EndpointSetting = {
  component: 'Metrics',
  env: 'RSWARM_METRICS_PORT',
  setting: 'metrics.port',
  address: (c) => `http://${c.metrics.host}:${c.metrics.port}`,
};

/** The endpoints a configuration binds (no enrolment socket on a plaintext link). */
function boundBy(c: Config): EndpointSetting[] {
  return ENDPOINTS.filter((e) => e.setting !== 'cluster.enrolEndpoint' || c.cluster.linkSecurity === 'curve');
}

/** Host and port of a `tcp://`/`http://` address; undefined for ipc/inproc and port 0. */
export function tcpAddressOf(address: string): { host: string; port: number } | undefined {
  const m = /^(?:tcp|https?):\/\/(\[[^\]]+\]|[^:/]+):(\d+)/.exec(address);
  if (!m?.[1] || !m[2] || Number(m[2]) === 0) return undefined;
  const host = m[1] === '*' ? '0.0.0.0' : m[1].replace(/^\[|\]$/g, '');
  return { host, port: Number(m[2]) };
}

/** The one line that names a busy endpoint: component, address, and what to set instead. */
export function busyPortLine(e: EndpointSetting, c: Config): string {
  // --free-ports is the all-in-one's; it does not move a standalone component's metrics port.
  const free = e === STANDALONE_METRICS ? '' : ' (or run with --free-ports)';
  return `${e.component}: ${e.address(c)} is in use — set ${e.env} or ${e.setting}${free}`;
}

/** Whether `host:port` can be bound right now (the probe socket is closed again at once). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * Checks every endpoint `c` binds before anything starts.
 * @returns the {@link busyPortLine} of the first one taken, or undefined when all are free
 */
export async function firstBusyEndpoint(c: Config): Promise<string | undefined> {
  for (const e of boundBy(c)) {
    const tcp = tcpAddressOf(e.address(c));
    if (tcp && !(await bindable(tcp.host, tcp.port))) return busyPortLine(e, c);
  }
  return undefined;
}

/**
 * The {@link busyPortLine} for an error thrown while binding (a port taken between the check and
 * the bind): Node's and ZeroMQ's EADDRINUSE, matched to the endpoint by its port.
 * @returns undefined when `err` is not about a busy port of `c`
 */
export function busyPortLineOf(err: unknown, c: Config): string | undefined {
  const e = err as { code?: unknown; message?: unknown; port?: unknown; address?: unknown } | null;
  const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const text = `${str(e?.code)} ${str(e?.message)} ${str(e?.address)}`;
  if (!/EADDRINUSE|address already in use/i.test(text)) return undefined;
  // A component alone may bind its metrics port too; the all-in-one never does (port 0 is "off").
  const candidates = [...boundBy(c), ...(c.metrics.port > 0 ? [STANDALONE_METRICS] : [])];
  for (const endpoint of candidates) {
    const tcp = tcpAddressOf(endpoint.address(c));
    if (!tcp) continue;
    if (Number(e?.port) === tcp.port || new RegExp(`:${tcp.port}(?!\\d)`).test(text))
      return busyPortLine(endpoint, c);
  }
  return undefined;
}

/**
 * Configuration overrides that give every endpoint of `c` a port free a moment ago (loopback,
 * or the configured host), for `rswarm all-in-one --free-ports` (`allInOne.freePorts`).
 */
export async function freePortOverrides(c: Config): Promise<ConfigInput> {
  const zmq = async (address: string): Promise<string> => {
    const tcp = tcpAddressOf(address);
    if (!address.startsWith('tcp://') || !tcp) return address;
    const host = address.slice('tcp://'.length, address.lastIndexOf(':'));
    return `tcp://${host}:${await freePort(tcp.host)}`;
  };
  return {
    http: { port: await freePort(c.http.host) },
    gateway: { port: await freePort(c.gateway.host) },
    cluster: {
      jobManagerEndpoint: await zmq(c.cluster.jobManagerEndpoint),
      managerEndpoint: await zmq(c.cluster.managerEndpoint),
      enrolEndpoint: await zmq(c.cluster.enrolEndpoint),
      discoveryEndpoint: await zmq(c.cluster.discoveryEndpoint),
    },
  };
}

/** One line per endpoint, `Component  address`, for the all-in-one's banner. */
export function endpointLines(c: Config): string[] {
  return boundBy(c).map((e) => `${e.component.padEnd(24)} ${e.address(c)}`);
}

/** Merges `b` over `a`, one level into each section (the shape of ConfigInput). */
export function mergeSections(a: ConfigInput, b: ConfigInput): ConfigInput {
  const out: ConfigInput & Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === 'object' && v && typeof v === 'object' && !Array.isArray(v)
        ? { ...prev, ...v }
        : v;
  }
  return out;
}

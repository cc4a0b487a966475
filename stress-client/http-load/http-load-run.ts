/**
 * The HTTP load runner: sends a rate profile's requests to `<gateway>/<service>/<path>` open-loop
 * (each at its time, whether or not earlier ones answered), records every request's latency and
 * status, and samples the service's replica count (`GET /api/v1/services/{name}`) every second.
 * Open loop with a cap: past `maxInFlight` a request is not sent and is recorded as `skipped`,
 * so a slow service shows up as skipped requests instead of a client that quietly slows down.
 */
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { profileSeconds, requestTimes, type RateProfile } from './rate-profile.js';

/** One request's outcome. `status` 0: no HTTP answer (`error` says why). */
export interface HttpRequestSample {
  /** Scheduled send time, ms after the run's start. */
  readonly atMs: number;
  /** Send → first response byte, ms; null without an answer. */
  readonly firstByteMs: number | null;
  /** Send → last byte (or failure), ms; null when skipped. */
  readonly latencyMs: number | null;
  readonly status: number;
  readonly error?: 'skipped' | 'timeout' | 'network';
}

/** One replica-count sample. */
export interface ReplicaSample {
  /** ms after the run's start. */
  readonly atMs: number;
  /** The desired count the leader keeps; null when the sample failed. */
  readonly desired: number | null;
  /** Live replicas in any state. */
  readonly replicas: number | null;
  /** Replicas in state `running`. */
  readonly running: number | null;
}

/** What one `rswarm stress http` run measured. */
export interface HttpLoadResult {
  readonly kind: 'http-load';
  readonly service: string;
  readonly target: string;
  readonly profile: RateProfile;
  readonly config: Record<string, unknown>;
  readonly startedAtEpochMs: number;
  readonly durationMs: number;
  readonly requests: readonly HttpRequestSample[];
  readonly replicas: readonly ReplicaSample[];
}

/** Options of {@link runHttpLoad}. */
export interface HttpLoadOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:5080`. */
  readonly gatewayUrl: string;
  /** The API's base URL, for the replica samples. */
  readonly apiUrl: string;
  readonly service: string;
  /** Path under the service, e.g. `/index.html`. @defaultValue "/" */
  readonly path?: string;
  /** Bearer token for the API (and the gateway, unless the service is public). */
  readonly token: string;
  readonly profile: RateProfile;
  /** Requests in flight at most; more are skipped. @defaultValue 256 */
  readonly maxInFlight?: number;
  /** A request unanswered this long is aborted and recorded as `timeout`. @defaultValue 30 000 */
  readonly requestTimeoutMs?: number;
  /** Replica sample period. @defaultValue 1 000 */
  readonly sampleEveryMs?: number;
  /** After the last send, samples continue this long (to see replicas scale down). @defaultValue 0 */
  readonly tailMs?: number;
  readonly config?: Record<string, unknown>;
  /** Told of progress once a second. */
  readonly onProgress?: (sent: number, total: number, inFlight: number) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** `GET /api/v1/services/{name}` reduced to counts; nulls when it fails. */
async function sampleReplicas(
  apiUrl: string,
  service: string,
  token: string,
  atMs: number,
): Promise<ReplicaSample> {
  try {
    const res = await fetch(`${apiUrl.replace(/\/+$/, '')}/api/v1/services/${encodeURIComponent(service)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) return { atMs, desired: null, replicas: null, running: null };
    const view = (await res.json()) as { desired?: number; replicas?: { state?: string }[] };
    const replicas = view.replicas ?? [];
    return {
      atMs,
      desired: typeof view.desired === 'number' ? view.desired : null,
      replicas: replicas.length,
      running: replicas.filter((r) => r.state === 'running').length,
    };
  } catch {
    return { atMs, desired: null, replicas: null, running: null };
  }
}

/** Runs `options.profile` against the service; resolves once every request ended. */
export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const maxInFlight = options.maxInFlight ?? 256;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const sampleEveryMs = options.sampleEveryMs ?? 1000;
  const path = (options.path ?? '/').replace(/^\/?/, '/');
  const url = new URL(
    `${options.gatewayUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.service)}${path}`,
  );
  const https = url.protocol === 'https:';
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: maxInFlight })
    : new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const send = https ? httpsRequest : request;
  const times = requestTimes(options.profile);
  const requests: HttpRequestSample[] = [];
  const replicas: ReplicaSample[] = [];
  let inFlight = 0;
  const startedAtEpochMs = Date.now();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;

  const one = (atMs: number): Promise<void> => {
    if (inFlight >= maxInFlight) {
      requests.push({ atMs, firstByteMs: null, latencyMs: null, status: 0, error: 'skipped' });
      return Promise.resolve();
    }
    inFlight++;
    const sent = performance.now();
    return new Promise<void>((resolve) => {
      let firstByteMs: number | null = null;
      let done = false;
      const finish = (status: number, error?: 'timeout' | 'network'): void => {
        if (done) return;
        done = true;
        inFlight--;
        const latencyMs = performance.now() - sent;
        requests.push({ atMs, firstByteMs, latencyMs, status, ...(error ? { error } : {}) });
        resolve();
      };
      const req = send(url, { agent, headers: { authorization: `Bearer ${options.token}` } }, (res) => {
        firstByteMs = performance.now() - sent;
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0));
        res.on('error', () => finish(0, 'network'));
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy();
        finish(0, 'timeout');
      });
      req.on('error', () => finish(0, 'network'));
      req.end();
    });
  };

  const loadSeconds = profileSeconds(options.profile);
  const endMs = loadSeconds * 1000 + (options.tailMs ?? 0);
  let sampling = true;
  const sampler = (async () => {
    for (let k = 0; sampling; k++) {
      replicas.push(await sampleReplicas(options.apiUrl, options.service, options.token, Math.round(now())));
      await sleep((k + 1) * sampleEveryMs - now());
    }
  })();
  const progress = options.onProgress
    ? setInterval(() => options.onProgress?.(requests.length + inFlight, times.length, inFlight), 1000)
    : undefined;
  const pending: Promise<void>[] = [];
  try {
    for (let i = 0; i < times.length;) {
      const at = times[i]!;
      await sleep(at - now());
      // Every request due by now goes out in this tick (a burst is sent together).
      const due = now();
      while (i < times.length && times[i]! <= due) pending.push(one(times[i++]!));
    }
    await Promise.all(pending);
    await sleep(endMs - now());
  } finally {
    sampling = false;
    await sampler;
    if (progress) clearInterval(progress);
    agent.destroy();
  }
  return {
    kind: 'http-load',
    service: options.service,
    target: url.href,
    profile: options.profile,
    config: options.config ?? {},
    startedAtEpochMs,
    durationMs: Math.round(now()),
    requests: [...requests].sort((a, b) => a.atMs - b.atMs),
    replicas,
  };
}

/**
 * The readiness and liveness probe: `GET healthPath` on a replica, answered with a status below
 * 400 within the time limit.
 */
import { request } from 'node:http';

/** A probe's outcome; `latencyMs` is the time to the response headers (or to the failure). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly latencyMs: number;
}

/**
 * Probes `host:port` with `GET path`. Uses a fresh connection (never the request pool's): the
 * probe must prove the replica accepts connections, and must not take a socket a request waits for.
 * @param now a monotonic clock in ms, for the latency
 */
export function probeReplica(
  target: { readonly host: string; readonly port: number },
  path: string,
  timeoutMs: number,
  now: () => number,
): Promise<ProbeResult> {
  const start = now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ok, latencyMs: now() - start });
    };
    const req = request(
      {
        host: target.host,
        port: target.port,
        method: 'GET',
        path,
        agent: false,
        headers: { connection: 'close' },
      },
      (res) => {
        finish((res.statusCode ?? 500) < 400);
        res.resume(); // discard the body; the status is the answer
        res.on('error', () => undefined);
      },
    );
    const timer = setTimeout(() => {
      finish(false);
      req.destroy();
    }, timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

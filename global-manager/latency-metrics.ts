import { Gauge, type Registry } from 'prom-client';
import type { WorkerRtt } from '../core/protocol/index.js';

/** Latest round trip GlobalManager → worker → GlobalManager, per worker. */
export const RTT_METRIC = 'rswarm_worker_rtt_seconds';
/** Its moving average (α = 0.1), per worker. */
export const RTT_EWMA_METRIC = 'rswarm_worker_rtt_ewma_seconds';

/**
 * Registers the per-worker round-trip gauges on `registry`. They hold no state of their own: each
 * scrape resets them and sets one series per worker `read` returns (live workers, and gone ones
 * within the retention), so a dropped worker's series disappears with it. A failing `read`
 * (a GlobalManager in another process that does not answer) leaves the gauges empty.
 */
export function registerWorkerLatencyMetrics(
  registry: Registry,
  read: () => readonly WorkerRtt[] | Promise<readonly WorkerRtt[]>,
): void {
  let pending: Promise<readonly WorkerRtt[]> | undefined;
  /** Both gauges are collected in one scrape: one read serves both. */
  const current = (): Promise<readonly WorkerRtt[]> => {
    pending ??= Promise.resolve()
      .then(read)
      .catch(() => [])
      .finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  const gauge = (name: string, help: string, pick: (r: WorkerRtt) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      async collect() {
        const rows = await current();
        this.reset();
        for (const r of rows) this.set({ worker: r.workerId }, pick(r) / 1000);
      },
    });
  };
  gauge(RTT_METRIC, 'Latest heartbeat round trip from the GlobalManager to the worker.', (r) => r.lastMs);
  gauge(RTT_EWMA_METRIC, 'Heartbeat round trip to the worker, EWMA (alpha 0.1).', (r) => r.ewmaMs);
}

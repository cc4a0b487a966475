import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayStats, RequestOutcome } from './gateway-stats.js';

/** Requests through the gateway, by how they ended. */
export const GATEWAY_REQUESTS_METRIC = 'rswarm_gateway_requests_total';
/** Cold starts: replicas asked for because a request found none ready. */
export const GATEWAY_COLD_STARTS_METRIC = 'rswarm_gateway_cold_starts_total';
export const GATEWAY_RETRIES_METRIC = 'rswarm_gateway_retries_total';
export const GATEWAY_IN_FLIGHT_METRIC = 'rswarm_gateway_requests_in_flight';
export const GATEWAY_QUEUED_METRIC = 'rswarm_gateway_requests_queued';

/**
 * Registers the gateway's metrics on `registry`, copied at each scrape from its counters
 * (`Gateway.stats()`); nothing is counted twice and the request path is untouched.
 */
export function registerGatewayMetrics(registry: Registry, stats: () => GatewayStats): void {
  const registers = [registry];
  new Counter({
    name: GATEWAY_REQUESTS_METRIC,
    help: 'Requests through the services gateway, by outcome.',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const requests = stats().requests;
      for (const outcome of Object.keys(requests) as RequestOutcome[])
        this.inc({ outcome }, requests[outcome]);
    },
  });
  const counter = (name: string, help: string, pick: (s: GatewayStats) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(pick(stats()));
      },
    });
  };
  counter(
    GATEWAY_COLD_STARTS_METRIC,
    'Cold starts: replicas asked for by requests that found none ready.',
    (s) => s.coldStarts,
  );
  counter(
    GATEWAY_RETRIES_METRIC,
    'Requests sent again to another replica after a connection failure.',
    (s) => s.retries,
  );
  const gauge = (name: string, help: string, pick: (s: GatewayStats) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(pick(stats()));
      },
    });
  };
  gauge(GATEWAY_IN_FLIGHT_METRIC, 'Requests being handled by the gateway now.', (s) => s.inFlight);
  gauge(GATEWAY_QUEUED_METRIC, 'Requests waiting in the gateway admission queues now.', (s) => s.queued);
}

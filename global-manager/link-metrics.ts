import { Counter, type Registry } from 'prom-client';
import type { MessageType } from '../core/protocol/index.js';

/** Worker-link messages at the GlobalManager, by type and direction. */
export const LINK_MESSAGES_METRIC = 'rswarm_worker_link_messages_total';

/** Which way a message went, seen from the GlobalManager. */
export type LinkDirection = 'in' | 'out';

/**
 * Messages the GlobalManager received (`in`, decoded; `invalid` for frames that did not decode)
 * and sent (`out`, handed to the socket), by type: plain counters, read by the metrics at scrape.
 */
export class LinkMessageCounts {
  private readonly counts = new Map<string, number>();

  count(direction: LinkDirection, type: MessageType | 'invalid'): void {
    const key = `${direction} ${type}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Every (direction, type) seen so far with its count. */
  list(): { direction: LinkDirection; type: string; count: number }[] {
    return [...this.counts].map(([key, count]) => {
      const [direction, type] = key.split(' ') as [LinkDirection, string];
      return { direction, type, count };
    });
  }
}

/**
 * Registers `rswarm_worker_link_messages_total{type,direction}` on `registry`, copied from
 * `counts` at each scrape (the message types are the protocol's, a bounded set).
 */
export function registerLinkMessageMetrics(
  registry: Registry,
  counts: () => LinkMessageCounts | undefined,
): void {
  new Counter({
    name: LINK_MESSAGES_METRIC,
    help: 'Worker-link messages at the GlobalManager, by type and direction (in, out).',
    labelNames: ['type', 'direction'],
    registers: [registry],
    collect() {
      const c = counts();
      if (!c) return;
      this.reset();
      for (const r of c.list()) this.inc({ type: r.type, direction: r.direction }, r.count);
    },
  });
}

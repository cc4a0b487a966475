/**
 * A worker's utilisation as the original RESTfulSwarm's notebook reads it (`WorkersResourceInfo`,
 * reference §2.2; the heatmap of GraphBook.ipynb): one document per worker with `hostname`,
 * `init_time` in epoch seconds and `details`, a list of `[seconds since init_time, used cores ÷
 * cores]`. Pure: built from the API's usage samples (`GET /api/v1/workers/{id}/usage`).
 */
import type { components } from '../openapi/schema.js';

type UsageSample = components['schemas']['WorkerUsage']['samples'][number];

/** One worker's `WorkersResourceInfo` document. */
export interface OriginalWorkersResourceDocument {
  /** The worker id (the original held the swarm node ID here). */
  readonly hostname: string;
  /** The first sample's time, epoch seconds. */
  readonly init_time: number;
  /** `[whole seconds since init_time, used cores ÷ the worker's cores]`, oldest first. */
  readonly details: readonly (readonly [number, number])[];
}

/**
 * The document for one worker, or undefined when there is nothing to write: no samples, or no
 * known core count (a removed worker whose record is gone: a ratio would be a guess).
 */
export function workersResourceDocument(
  workerId: string,
  totalCores: number | null,
  samples: readonly UsageSample[],
): OriginalWorkersResourceDocument | undefined {
  if (samples.length === 0 || totalCores === null || totalCores <= 0) return undefined;
  const init = Date.parse((samples[0] as UsageSample).at);
  return {
    hostname: workerId,
    init_time: init / 1000,
    details: samples.map(
      (s) =>
        [
          Math.floor((Date.parse(s.at) - init) / 1000),
          Math.round((s.usedCores / totalCores) * 10_000) / 10_000,
        ] as const,
    ),
  };
}

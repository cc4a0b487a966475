/**
 * Polls a cluster while a run goes on: per-worker use from `GET /api/v1/workers` (used = total −
 * free; a sample only when a worker's use changes, since samples are a step function) and the
 * cluster's totals plus `queued` from `GET /api/v1/scheduler`. Placements per sample are filled in
 * afterwards from the jobs' scheduled times, which are exact.
 */
import type { ClusterSample, WorkerSample } from '../run-result.js';
import type { FleetWorker } from '../workload.js';
import type { StressApi, WorkerView } from './stress-api.js';

/** Worker states that count towards capacity. */
const IN_SERVICE = new Set(['ready', 'draining']);

/** Collected samples (placements still 0). */
export interface SamplerOutput {
  readonly workers: WorkerSample[];
  readonly cluster: ClusterSample[];
  readonly fleet: FleetWorker[];
  /** Polls that failed (the run goes on; the count is recorded). */
  readonly failedPolls: number;
  readonly lastError: string | undefined;
}

/**
 * A sampler: `sample()` takes one reading; `last` is the latest cluster sample. Created per run.
 */
export class ClusterSampler {
  private readonly workers: WorkerSample[] = [];
  private readonly cluster: ClusterSample[] = [];
  private readonly fleet = new Map<string, FleetWorker>();
  private readonly lastUse = new Map<string, string>();
  private failedPolls = 0;
  private lastError: string | undefined;

  constructor(
    private readonly api: StressApi,
    private readonly now: () => number,
  ) {}

  /** The latest cluster sample, if any. */
  get last(): ClusterSample | undefined {
    return this.cluster.at(-1);
  }

  /** Takes one reading; a failed poll is counted, never thrown. */
  async sample(): Promise<void> {
    let list: WorkerView[];
    let queued: number;
    try {
      [list, queued] = await Promise.all([
        this.api.listWorkers(),
        this.api.getScheduler().then((s) => s.queued ?? 0),
      ]);
    } catch (err) {
      this.failedPolls++;
      this.lastError = (err as Error).message;
      return;
    }
    const atMs = this.now();
    let usedCores = 0;
    let totalCores = 0;
    let usedMemoryBytes = 0;
    let totalMemoryBytes = 0;
    for (const w of list) {
      if (!IN_SERVICE.has(w.state)) continue;
      if (!this.fleet.has(w.id))
        this.fleet.set(w.id, { id: w.id, cores: w.totalCores, memoryBytes: w.totalMemoryBytes });
      const cores = w.totalCores - w.freeCores.length;
      const mem = w.totalMemoryBytes - w.freeMemoryBytes;
      usedCores += cores;
      totalCores += w.totalCores;
      usedMemoryBytes += mem;
      totalMemoryBytes += w.totalMemoryBytes;
      const key = `${cores}/${mem}`;
      if (this.lastUse.get(w.id) !== key) {
        this.lastUse.set(w.id, key);
        this.workers.push({ workerId: w.id, atMs, usedCores: cores, usedMemoryBytes: mem });
      }
    }
    this.cluster.push({
      atMs,
      queueDepth: queued,
      placements: 0,
      usedCores,
      totalCores,
      usedMemoryBytes,
      totalMemoryBytes,
    });
  }

  /** Everything collected so far. */
  output(): SamplerOutput {
    return {
      workers: [...this.workers],
      cluster: [...this.cluster],
      fleet: [...this.fleet.values()],
      failedPolls: this.failedPolls,
      lastError: this.lastError,
    };
  }
}

/**
 * Cluster samples with `placements` = tasks whose job was scheduled in (previous sample, this
 * sample]; placements before the first sample count towards it.
 */
export function withPlacements(
  cluster: readonly ClusterSample[],
  scheduled: readonly { readonly atMs: number; readonly tasks: number }[],
): ClusterSample[] {
  const events = [...scheduled].sort((a, b) => a.atMs - b.atMs);
  let e = 0;
  return cluster.map((s) => {
    let placements = 0;
    while (e < events.length && (events[e] as { atMs: number }).atMs <= s.atMs) {
      placements += (events[e] as { tasks: number }).tasks;
      e++;
    }
    return { ...s, placements };
  });
}

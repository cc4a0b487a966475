import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ControlState } from '../core/control-state/index.js';
import { JOB_STATES } from '../core/job/job-state.js';
import { freeCoreIds, freeMemoryBytes, type WorkerState } from '../core/model/records.js';
import { UNPLACED_CODES } from '../core/scheduler/types.js';
import type { LeaderState, RoundSample } from './control-leader-options.js';

/** Jobs by state: live ones, and ended ones the leader still remembers (until retention). */
export const JOBS_METRIC = 'rswarm_jobs';
/** Waiting jobs (the queue's depth). */
export const QUEUE_DEPTH_METRIC = 'rswarm_queue_depth';
/** Workers by state. */
export const WORKERS_METRIC = 'rswarm_workers';
export const CORES_BOOKED_METRIC = 'rswarm_cores_booked';
export const CORES_FREE_METRIC = 'rswarm_cores_free';
export const MEMORY_BOOKED_METRIC = 'rswarm_memory_booked_bytes';
export const MEMORY_FREE_METRIC = 'rswarm_memory_free_bytes';
export const ROUND_DURATION_METRIC = 'rswarm_scheduling_round_duration_seconds';
export const PLACEMENTS_METRIC = 'rswarm_placements_total';
export const UNPLACED_METRIC = 'rswarm_unplaced_total';
/** 1 while this JobManager leads, else 0. */
export const LEADING_METRIC = 'rswarm_job_manager_leading';
/** The fencing term this JobManager leads in (absent unless leading). */
export const TERM_METRIC = 'rswarm_job_manager_term';

const WORKER_STATES: readonly WorkerState[] = ['ready', 'draining', 'lost', 'left'];

/** What the metrics read of the leader: its state and, while leading, its control state. */
export interface LeaderSource {
  getState(): LeaderState;
  view(): ControlState | undefined;
}

/** Cluster totals over ready and draining workers (lost and left ones hold no capacity). */
function capacity(state: ControlState): { booked: number; free: number; bookedMem: number; freeMem: number } {
  const t = { booked: 0, free: 0, bookedMem: 0, freeMem: 0 };
  for (const w of state.workers()) {
    if (w.state !== 'ready' && w.state !== 'draining') continue;
    const free = freeCoreIds(w).length;
    const freeMem = freeMemoryBytes(w);
    t.free += free;
    t.booked += w.coreIds.length - free;
    t.freeMem += freeMem;
    t.bookedMem += w.totalMemoryBytes - freeMem;
  }
  return t;
}

/**
 * Registers the JobManager's metrics on `registry`. Gauges are computed at each scrape from the
 * leader's state (nothing on the hot path; a standby shows only `rswarm_job_manager_leading 0`);
 * the round histogram and the placement counters are fed by the returned `onRound`, which the
 * {@link ControlLeader} calls once per scheduling round (pass it as its `onRound` dependency).
 * `source` is read lazily, so the registry can exist before the leader does.
 */
export function registerLeaderMetrics(
  registry: Registry,
  source: () => LeaderSource | undefined,
): (round: RoundSample) => void {
  const registers = [registry];
  const view = (): ControlState | undefined => source()?.view();
  new Gauge({
    name: LEADING_METRIC,
    help: 'Whether this JobManager leads (1) or not (0).',
    registers,
    collect() {
      this.set(source()?.getState() === 'leading' ? 1 : 0);
    },
  });
  new Gauge({
    name: TERM_METRIC,
    help: 'Fencing term of this JobManager while it leads.',
    registers,
    collect() {
      this.reset();
      const s = view();
      if (s) this.set(s.term);
    },
  });
  new Gauge({
    name: JOBS_METRIC,
    help: 'Jobs by state: live ones, and ended ones the leader still remembers (until retention).',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const s = view();
      if (!s) return;
      const counts = s.countAll();
      for (const state of JOB_STATES) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: QUEUE_DEPTH_METRIC,
    help: 'Jobs waiting to be placed.',
    registers,
    collect() {
      this.reset();
      const s = view();
      if (s) this.set(s.countByState().waiting);
    },
  });
  new Gauge({
    name: WORKERS_METRIC,
    help: 'Workers by state.',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const s = view();
      if (!s) return;
      const counts = Object.fromEntries(WORKER_STATES.map((st) => [st, 0])) as Record<WorkerState, number>;
      for (const w of s.workers()) counts[w.state]++;
      for (const state of WORKER_STATES) this.set({ state }, counts[state]);
    },
  });
  const capacityGauge = (
    name: string,
    help: string,
    pick: (c: ReturnType<typeof capacity>) => number,
  ): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const s = view();
        if (s) this.set(pick(capacity(s)));
      },
    });
  };
  capacityGauge(
    CORES_BOOKED_METRIC,
    'Cores booked by tasks, over ready and draining workers.',
    (c) => c.booked,
  );
  capacityGauge(CORES_FREE_METRIC, 'Cores not booked, over ready and draining workers.', (c) => c.free);
  capacityGauge(
    MEMORY_BOOKED_METRIC,
    'Memory booked by tasks, over ready and draining workers.',
    (c) => c.bookedMem,
  );
  capacityGauge(MEMORY_FREE_METRIC, 'Memory not booked, over ready and draining workers.', (c) => c.freeMem);

  const rounds = new Histogram({
    name: ROUND_DURATION_METRIC,
    help: 'Time to plan and apply one scheduling round (every pass).',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const placements = new Counter({
    name: PLACEMENTS_METRIC,
    help: 'Tasks placed by scheduling rounds.',
    registers,
  });
  const unplaced = new Counter({
    name: UNPLACED_METRIC,
    help: 'Jobs a scheduling round left unplaced, by code (a job waiting through N rounds counts N times).',
    labelNames: ['code'],
    registers,
  });
  // Every code exported from the start, so rate() sees the first miss of each.
  for (const code of UNPLACED_CODES) unplaced.inc({ code }, 0);
  return (round) => {
    rounds.observe(round.seconds);
    if (round.placements > 0) placements.inc(round.placements);
    const byCode = new Map<string, number>();
    for (const code of round.unplaced) byCode.set(code, (byCode.get(code) ?? 0) + 1);
    for (const [code, n] of byCode) unplaced.inc({ code }, n);
  };
}

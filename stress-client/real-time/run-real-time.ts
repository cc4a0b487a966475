/**
 * A real-time run against a cluster over HTTP: optionally switch the strategy, submit the
 * workload on schedule (bounded in flight), sample workers and the queue while it runs, then
 * collect until every accepted job is terminal or the timeout passes. Produces the same
 * {@link RunResult} as the virtual-time simulator.
 */
import type { RunResult } from '../run-result.js';
import type { Workload } from '../workload.js';
import { ClusterSampler, withPlacements } from './cluster-sampler.js';
import { fetchJobViews, jobSamples, TERMINAL_STATES } from './job-collector.js';
import { silentProgress, type ProgressSink } from './progress.js';
import type { JobView, StressApi } from './stress-api.js';
import { submitOnSchedule, type SubmissionRecord } from './submit-on-schedule.js';

/** Options of {@link runRealTime}. */
export interface RealTimeOptions {
  readonly api: StressApi;
  /** Requests in flight at most. @defaultValue 32 */
  readonly concurrency?: number;
  /** Switch to this strategy before submitting (`PUT /api/v1/scheduler`). */
  readonly strategy?: string | undefined;
  /** Appended to every job name (`<name>-<suffix>`) so repeated runs do not collide. */
  readonly nameSuffix?: string;
  /**
   * Worker/queue sampling period. @defaultValue 500 ms, and 1 s per 1,000 workers above that
   * (a listing of thousands of workers is large; sampling must not load the cluster it measures)
   */
  readonly sampleEveryMs?: number;
  /** Job-state polling period while collecting. @defaultValue 1000 ms */
  readonly pollEveryMs?: number;
  /** Give up collecting this long after the last submission. @defaultValue 10 min */
  readonly timeoutMs?: number;
  readonly progress?: ProgressSink;
  /** Recorded verbatim in `RunResult.config` (the caller's resolved options). */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** How long job listings may keep failing before the run gives up. */
const LISTING_GRACE_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Runs `workload` in real time.
 * @throws when the strategy switch fails, or job listings keep failing for 30 s
 */
export async function runRealTime(workload: Workload, opts: RealTimeOptions): Promise<RunResult> {
  const { api } = opts;
  const concurrency = opts.concurrency ?? 32;
  const pollEveryMs = opts.pollEveryMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const nameSuffix = opts.nameSuffix ?? '';
  const progress = opts.progress ?? silentProgress;

  const strategy = opts.strategy
    ? (await api.setScheduler(opts.strategy)).strategy
    : (await api.getScheduler()).strategy;
  const startedAtEpochMs = Date.now();
  const wall0 = performance.now();
  const now = (): number => Date.now() - startedAtEpochMs;
  const sampler = new ClusterSampler(api, now);
  await sampler.sample();
  const sampleEveryMs =
    opts.sampleEveryMs ?? Math.max(500, 1000 * Math.floor(sampler.output().fleet.length / 1000));

  let phase = 'submitting' as 'submitting' | 'collecting' | 'stopped';
  let submitted = 0;
  let rejected = 0;
  let done = 0;
  const total = workload.jobs.length;
  const report = (): void => {
    if (phase === 'stopped') return;
    progress.update({ submitted, rejected, done, total, queueDepth: sampler.last?.queueDepth ?? 0, phase });
  };
  const sampling = (async () => {
    const stopped = (): boolean => phase === 'stopped';
    while (!stopped()) {
      await sleep(sampleEveryMs);
      if (stopped()) break;
      await sampler.sample();
      report();
    }
  })();

  let records: SubmissionRecord[] = [];
  try {
    records = await submitOnSchedule(
      workload.jobs,
      api,
      { concurrency, nameSuffix, clock: { now, sleep } },
      (r) => {
        submitted++;
        if (!r.outcome.ok) {
          rejected++;
          done++;
        }
        report();
      },
    );
    phase = 'collecting';
    const accepted = new Set(records.filter((r) => r.outcome.ok).map((r) => r.clusterName));
    const deadline = now() + timeoutMs;
    // A failed listing keeps the previous views; only a cluster that stays unreachable for
    // LISTING_GRACE_MS ends the run with an error.
    let views = new Map<string, JobView>();
    let failingSince: number | undefined;
    const refresh = async (): Promise<void> => {
      try {
        views = await fetchJobViews(api, accepted, views);
        failingSince = undefined;
      } catch (err) {
        failingSince ??= now();
        if (now() - failingSince >= LISTING_GRACE_MS) throw err;
      }
    };
    await refresh();
    for (;;) {
      const terminal = [...views.values()].filter((v) => TERMINAL_STATES.has(v.state)).length;
      done = rejected + terminal;
      report();
      if (terminal === accepted.size || now() >= deadline) break;
      await sleep(Math.min(pollEveryMs, Math.max(0, deadline - now())));
      await refresh();
    }
    await sampler.sample();
    phase = 'stopped';
    await sampling;
    progress.stop();

    const jobs = jobSamples(records, views, startedAtEpochMs);
    const stopMs = now();
    const allTerminal = jobs.every((j) => j.state === 'rejected' || TERMINAL_STATES.has(j.state));
    const lastEvent = Math.max(0, ...jobs.map((j) => Math.max(j.submittedMs, j.finishedMs ?? 0)));
    const s = sampler.output();
    const scheduled = jobs.flatMap((j) =>
      j.scheduledMs === null ? [] : [{ atMs: j.scheduledMs, tasks: j.tasks }],
    );
    return {
      mode: 'real-time',
      strategy,
      source: workload.source,
      config: {
        ...(opts.config ?? {}),
        concurrency,
        sampleEveryMs,
        pollEveryMs,
        timeoutMs,
        nameSuffix,
        failedPolls: s.failedPolls,
        ...(s.lastError ? { lastPollError: s.lastError } : {}),
        rejected,
      },
      startedAtEpochMs,
      durationMs: allTerminal ? lastEvent : stopMs,
      wallSeconds: (performance.now() - wall0) / 1000,
      fleet: s.fleet,
      jobs,
      workers: s.workers,
      cluster: withPlacements(s.cluster, scheduled),
    };
  } finally {
    phase = 'stopped';
    await sampling;
    progress.stop();
  }
}

/**
 * Waits until the cluster is idle: nothing queued and every worker's cores free (between the
 * runs of `compare`, so one strategy's tail does not load the next).
 * @throws when it does not drain within `timeoutMs`, with what is still busy
 */
export async function waitForDrain(api: StressApi, timeoutMs = 120_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let queued = 0;
  let busy = 0;
  for (;;) {
    const [s, workers] = await Promise.all([api.getScheduler(), api.listWorkers()]);
    queued = s.queued ?? 0;
    busy = workers.filter((w) => w.state === 'ready' && w.freeCores.length < w.totalCores).length;
    if (queued === 0 && busy === 0) return;
    if (Date.now() >= deadline) break;
    await sleep(everyMs);
  }
  throw new Error(
    `the cluster did not drain within ${timeoutMs} ms: ${queued} job(s) queued, ${busy} worker(s) busy`,
  );
}

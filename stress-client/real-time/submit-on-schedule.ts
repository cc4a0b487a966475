/**
 * Submits a workload's jobs at their arrival times with at most `concurrency` requests in
 * flight. A job whose slot is not free at its arrival goes out late (its actual submit time is
 * recorded); nothing is dropped: every job ends with an accepted or a refused record.
 */
import type { WorkloadJob } from '../workload.js';
import type { NativeJob, StressApi, SubmitOutcome } from './stress-api.js';

/** One job's submission as the client saw it. */
export interface SubmissionRecord {
  readonly job: WorkloadJob;
  /** The name sent to the cluster (workload name + run suffix). */
  readonly clusterName: string;
  /** Run-relative ms when the request was sent. */
  readonly sentMs: number;
  readonly outcome: SubmitOutcome;
}

/** Time source and sleep, injectable so the schedule logic is testable without waiting. */
export interface RunClock {
  /** Run-relative ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The native API body for a workload job. */
export function nativeJob(job: WorkloadJob, clusterName: string): NativeJob {
  return {
    name: clusterName,
    priority: job.priority,
    tasks: job.tasks.map((t) => ({
      name: t.name,
      image: t.image,
      cores: t.cores,
      memory: `${t.memoryBytes}b`,
      runSeconds: t.runSeconds,
      ...(t.command ? { command: [...t.command] } : {}),
      ...(t.node ? { node: t.node } : {}),
    })),
  };
}

/** The cluster name of a workload job in a run with `suffix` (empty: the name unchanged). */
export function clusterJobName(name: string, suffix: string): string {
  return suffix ? `${name}-${suffix}` : name;
}

/**
 * Submits every job of `jobs` (ascending arrival) at `arrivalMs` on `clock`.
 * @param onSent called after each response, for progress
 */
export async function submitOnSchedule(
  jobs: readonly WorkloadJob[],
  api: StressApi,
  options: { readonly concurrency: number; readonly nameSuffix: string; readonly clock: RunClock },
  onSent: (r: SubmissionRecord) => void = () => undefined,
): Promise<SubmissionRecord[]> {
  const { clock } = options;
  const records: SubmissionRecord[] = new Array<SubmissionRecord>(jobs.length);
  const inFlight = new Set<Promise<void>>();
  for (const [i, job] of jobs.entries()) {
    const wait = job.arrivalMs - clock.now();
    if (wait > 0) await clock.sleep(wait);
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    const clusterName = clusterJobName(job.name, options.nameSuffix);
    const sentMs = clock.now();
    const p: Promise<void> = api.submitJob(nativeJob(job, clusterName)).then((outcome) => {
      records[i] = { job, clusterName, sentMs, outcome };
      inFlight.delete(p);
      onSent(records[i]);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return records;
}

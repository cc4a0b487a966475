/**
 * A job as the original RESTfulSwarm's analysis notebooks read it (GraphBook.ipynb; reference
 * §2.3, §3 and §6.3): one document per job with `job_name`, `submit_time`, `start_time` and
 * `end_time` in epoch seconds, the original `status`, and `job_info.tasks` keyed by task name.
 * Pure: built from the API's job view (`GET /api/v1/jobs`).
 */
import { formatMemorySize, parseCpuset, toOriginalStatus, type JobState } from '../core/job/index.js';
import type { components } from '../openapi/schema.js';

type JobView = components['schemas']['JobView'];

/** One task of {@link OriginalResultDocument}, in the original's field names. */
export interface OriginalResultTask {
  readonly container_name: string;
  /** The worker that ran it ('' when never placed); the original held the swarm node ID here. */
  readonly node: string;
  readonly image: string;
  readonly req_cores: number;
  /** The cores it was pinned to, "3,4" ('' when never placed). */
  readonly cpuset_cpus: string;
  /** Docker-style size, "50m". */
  readonly mem_limit: string;
  readonly status: 'Ready' | 'Deployed' | 'Down';
}

/** A job document in the shape the original notebooks read. */
export interface OriginalResultDocument {
  readonly job_name: string;
  readonly job_info: {
    /** The job's network as the original stored it (`subnet` '' when none was given); absent from older servers. */
    readonly network?: { readonly name: string; readonly driver: string; readonly subnet: string };
    readonly tasks: Readonly<Record<string, OriginalResultTask>>;
  };
  readonly status: 'Ready' | 'Deployed' | 'Down';
  /** When the job was accepted, epoch seconds (the original FrontEnd's `time.time()`). */
  readonly submit_time: number;
  /**
   * When the job was placed and sent to its workers, epoch seconds; 0 before (the original's
   * initial value). The original's GlobalManager set it once it had published the containers.
   */
  readonly start_time: number;
  /** When the job ended (finished, failed or cancelled), epoch seconds; 0 before. */
  readonly end_time: number;
  /** `start_time - submit_time`, s, as the notebook computes it; null until placed. */
  readonly waiting_time: number | null;
  /** `end_time - start_time`, s; null until ended (or when it ended without being placed). */
  readonly execution_time: number | null;
  /** `end_time - submit_time`, s; null until ended. */
  readonly total_time: number | null;
  /** This system's finer state (`finished`, `failed`, …), which the original's `Down` folds together. */
  readonly state: JobState;
}

/** Epoch seconds from an ISO timestamp, ms kept as the fraction; 0 for none, as the original. */
function seconds(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) / 1000 : 0;
}

/** A difference of two times in seconds, rounded to the ms the times carry; null when one is unset. */
function between(from: number, to: number): number | null {
  return from > 0 && to > 0 ? Math.round((to - from) * 1000) / 1000 : null;
}

/** The original's per-job result document for one job view. */
export function originalResultDocument(view: JobView): OriginalResultDocument {
  const submit = seconds(view.submittedAt);
  // Placed = sent to the workers; a job that runs without a recorded placement counts from its start.
  const start = seconds(view.scheduledAt ?? view.startedAt);
  const end = seconds(view.finishedAt);
  const tasks: Record<string, OriginalResultTask> = {};
  for (const t of view.tasks) {
    tasks[t.name] = {
      // The container's name as the original knew it; views without it (older servers): the task.
      container_name: t.container ?? t.name,
      node: t.worker ?? '',
      image: t.image ?? '',
      req_cores: t.cores,
      // The original wrote the list ("3,4"), never ranges.
      cpuset_cpus: t.cpuset ? (parseCpuset(t.cpuset)?.join(',') ?? t.cpuset) : '',
      mem_limit: formatMemorySize(t.memoryBytes),
      status: toOriginalStatus(t.state),
    };
  }
  return {
    job_name: view.name,
    job_info: {
      ...(view.network
        ? {
            network: {
              name: view.network.name,
              driver: view.network.driver,
              subnet: view.network.subnet ?? '',
            },
          }
        : {}),
      tasks,
    },
    status: toOriginalStatus(view.state),
    submit_time: submit,
    start_time: start,
    end_time: end,
    waiting_time: between(submit, start),
    execution_time: between(start, end),
    total_time: between(submit, end),
    state: view.state,
  };
}

/**
 * Whether a job belongs to a stress-client session: the original named jobs
 * `job<ms>-<session>` and the notebook groups them by `job_name.split('-')[1]`.
 */
export function inSession(jobName: string, session: string): boolean {
  return jobName.split('-')[1] === session;
}

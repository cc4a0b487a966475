import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JobRules } from '../../core/job/index.js';

/** The original system's sample job, from shared/workloads/jobs. */
export const SAMPLE_JOB_PATH = fileURLToPath(
  new URL('../../../shared/workloads/jobs/sample-job.json', import.meta.url),
);

/** A fresh deep copy of the sample job, safe to mutate. */
export function sampleJob(): Record<string, any> {
  return JSON.parse(readFileSync(SAMPLE_JOB_PATH, 'utf8')) as Record<string, any>;
}

/** Task keys of the sample job. */
export const T1 = 'job1533585500968-1533585495_task1';
export const T2 = 'job1533585500968-1533585495_task2';

/** Validation limits used by tests (the defaults, with an allow-list the tests name). */
export const TEST_RULES: JobRules = {
  maxBodyBytes: 64 * 1024,
  maxTasksPerJob: 50,
  volumeAllowList: ['/nfs/RESTfulSwarm', '/tmp/rswarm'],
  minMemoryBytes: 6 * 1024 * 1024,
};

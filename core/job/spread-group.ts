import type { JobSpec } from './job-model.js';

/**
 * A job's group for spread placement and start-failure avoidance: its service's name for a
 * service replica, else its `spreadGroup`, else its own name (so a job's tasks spread over
 * workers, and a failed start steers only that job away from the worker).
 */
export function spreadGroupOf(spec: Pick<JobSpec, 'name' | 'service' | 'spreadGroup'>): string {
  return spec.service?.name ?? spec.spreadGroup ?? spec.name;
}

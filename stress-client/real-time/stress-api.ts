/**
 * The stress client's port to a cluster: the five HTTP calls a real-time run makes, and their
 * axios adapter (native JSON format, bearer token). A rejected submission is a value, not an
 * exception, so the runner can record the server's code and message for every job.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { components } from '../../openapi/schema.js';

/** A job as `GET /api/v1/jobs` returns it. */
export type JobView = components['schemas']['JobView'];
/** A worker as `GET /api/v1/workers` returns it. */
export type WorkerView = components['schemas']['WorkerView'];
/** `GET`/`PUT /api/v1/scheduler`. */
export type SchedulerSettings = components['schemas']['SchedulerSettings'];
/** The native submission body of `POST /api/v1/jobs`. */
export type NativeJob = components['schemas']['NativeJob'];

/** The outcome of one submission: accepted, or the server's (or the network's) refusal. */
export type SubmitOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** What a real-time stress run needs from a cluster. */
export interface StressApi {
  submitJob(job: NativeJob): Promise<SubmitOutcome>;
  /** One page of `GET /api/v1/jobs`. */
  listJobs(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ items: JobView[]; nextCursor: string | null }>;
  /** `GET /api/v1/jobs/{name}`; undefined when there is no such job. */
  getJob(name: string): Promise<JobView | undefined>;
  listWorkers(): Promise<WorkerView[]>;
  getScheduler(): Promise<SchedulerSettings>;
  setScheduler(strategy: string): Promise<SchedulerSettings>;
  /** Releases keep-alive sockets. */
  close(): void;
}

/** `http://host:5001`, `http://host:5001/` and `http://host:5001/api/v1` all name the same API. */
export function apiBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api\/v1$/, '') + '/api/v1';
}

function errorOf(status: number, data: unknown): { code: string; message: string } {
  const e = (data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (e && typeof e.code === 'string')
    return { code: e.code, message: typeof e.message === 'string' ? e.message : '' };
  return {
    code: `HTTP_${status}`,
    message: typeof data === 'string' ? data.slice(0, 200) : `status ${status}`,
  };
}

/** A call that is not a submission fails the run step with the server's code and message. */
class StressApiError extends Error {
  constructor(what: string, status: number, data: unknown) {
    const e = errorOf(status, data);
    super(`${what}: ${e.code} ${e.message}`);
    this.name = 'StressApiError';
  }
}

/**
 * The axios adapter. `maxSockets` bounds open connections (the runner bounds requests in flight).
 */
export function createHttpStressApi(url: string, token: string, maxSockets = 64): StressApi {
  const http: AxiosInstance = axios.create({
    baseURL: apiBase(url),
    headers: { authorization: `Bearer ${token}` },
    timeout: 30_000,
    validateStatus: () => true,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  });
  const get = async <T>(path: string, what: string, params?: Record<string, unknown>): Promise<T> => {
    const r = await http.get<T>(path, params ? { params } : {});
    if (r.status !== 200) throw new StressApiError(what, r.status, r.data);
    return r.data;
  };
  return {
    async submitJob(job) {
      try {
        const r = await http.post('/jobs', job);
        if (r.status === 202) return { ok: true };
        return { ok: false, status: r.status, ...errorOf(r.status, r.data) };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return { ok: false, status: 0, code: e.code ?? 'NETWORK', message: e.message ?? String(err) };
      }
    },
    listJobs: (cursor, limit) => get('/jobs', 'GET /api/v1/jobs', { limit, ...(cursor ? { cursor } : {}) }),
    async getJob(name) {
      const r = await http.get<JobView>(`/jobs/${encodeURIComponent(name)}`);
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new StressApiError(`GET /api/v1/jobs/${name}`, r.status, r.data);
      return r.data;
    },
    listWorkers: () => get('/workers', 'GET /api/v1/workers'),
    getScheduler: () => get('/scheduler', 'GET /api/v1/scheduler'),
    async setScheduler(strategy) {
      const r = await http.put<SchedulerSettings>('/scheduler', { strategy });
      if (r.status !== 200) throw new StressApiError(`PUT /api/v1/scheduler ${strategy}`, r.status, r.data);
      return r.data;
    },
    close() {
      (http.defaults.httpAgent as HttpAgent).destroy();
      (http.defaults.httpsAgent as HttpsAgent).destroy();
    },
  };
}

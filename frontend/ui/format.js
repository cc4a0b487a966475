// @ts-check
/**
 * @module Pure helpers of the dashboard (no DOM): cpusets, sizes, durations, a job's colour, its
 * wait, and which job books which core.
 */

/**
 * Core ids of a cpuset string (`0-2,5` → 0, 1, 2, 5); an unreadable part is skipped.
 * @param {string | null | undefined} cpuset
 * @returns {number[]}
 */
export function parseCpuset(cpuset) {
  if (!cpuset) return [];
  /** @type {number[]} */
  const out = [];
  for (const part of cpuset.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to && c - from < 4096; c++) out.push(c);
  }
  return out;
}

/**
 * `1.5 GiB`, `64 MiB`, `512 B`.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 07 min`.
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * How long a job waited to be placed: until it was scheduled, or until `now` while it waits.
 * @param {{ submittedAt?: string | null, scheduledAt?: string | null, state: string }} job
 * @param {number} now
 * @returns {number | null} milliseconds, or null when unknown
 */
export function waitOf(job, now) {
  if (!job.submittedAt) return null;
  const from = Date.parse(job.submittedAt);
  if (job.scheduledAt) return Date.parse(job.scheduledAt) - from;
  return job.state === 'waiting' ? now - from : null;
}

/**
 * A stable colour per job (the same job has the same colour on every refresh and every page).
 * @param {string} name
 */
export function jobColour(name) {
  // FNV-1a, then a murmur3 finaliser: similar names ("job-1", "job-2") land far apart.
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return `hsl(${h % 360} ${55 + ((h >>> 9) % 25)}% ${42 + ((h >>> 17) % 16)}%)`;
}

/**
 * Which job's task books each core: `worker/core` → job and task, from the jobs' placements
 * (a task with a worker and a cpuset that has not ended).
 * @param {readonly { name: string, tasks: readonly { name: string, state: string, worker?: string | null, cpuset?: string | null }[] }[]} jobs
 * @returns {Map<string, { job: string, task: string }>}
 */
export function bookingsByCore(jobs) {
  const ended = new Set(['finished', 'failed', 'cancelled', 'lost']);
  /** @type {Map<string, { job: string, task: string }>} */
  const out = new Map();
  for (const job of jobs)
    for (const task of job.tasks) {
      if (!task.worker || ended.has(task.state)) continue;
      for (const core of parseCpuset(task.cpuset))
        out.set(`${task.worker}/${core}`, { job: job.name, task: task.name });
    }
  return out;
}

/** Job states in the order the jobs table lists them: live work first. */
export const JOB_STATE_ORDER = ['running', 'scheduled', 'waiting', 'failed', 'cancelled', 'finished'];

/**
 * Jobs for the table: live ones first (running, scheduled, waiting), then ended ones, newest first.
 * @template {{ name: string, state: string, submittedAt?: string | null }} J
 * @param {readonly J[]} jobs
 * @returns {J[]}
 */
export function sortJobs(jobs) {
  const live = (/** @type {string} */ s) => (['running', 'scheduled', 'waiting'].includes(s) ? 0 : 1);
  const at = (/** @type {J} */ j) => (j.submittedAt ? Date.parse(j.submittedAt) : 0);
  return [...jobs].sort(
    (a, b) => live(a.state) - live(b.state) || at(b) - at(a) || a.name.localeCompare(b.name),
  );
}

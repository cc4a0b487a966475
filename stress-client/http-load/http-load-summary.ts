/**
 * What an HTTP load run comes to: counts by outcome, latency percentiles, and the per-second
 * series the report charts (latency p50/p99 by send second, replicas sampled each second).
 */
import type { HttpLoadResult, HttpRequestSample } from './http-load-run.js';

/** Latency percentiles in ms (null without answered requests). */
export interface LatencyStats {
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The run's summary (`summary.json`). */
export interface HttpLoadSummary {
  readonly service: string;
  readonly target: string;
  readonly planned: number;
  /** Requests answered with a 2xx. */
  readonly ok: number;
  /** Answered with another status, by status. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly timeouts: number;
  readonly networkErrors: number;
  readonly skipped: number;
  /** Latency to the last byte of answered requests (any status), ms. */
  readonly latencyMs: LatencyStats | null;
  /** Send → first byte of answered requests, ms. */
  readonly firstByteMs: LatencyStats | null;
  readonly peakReplicas: number;
  readonly peakDesired: number;
  readonly durationSeconds: number;
  /** Answered requests per second of run time. */
  readonly answeredPerSecond: number;
}

/** One point of the per-second series. */
export interface SecondPoint {
  /** Start of the second, in seconds of run time. */
  readonly time: number;
  readonly series: string;
  readonly value: number;
}

/** The value at quantile `p` (0–100) of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function stats(values: number[]): LatencyStats | null {
  if (values.length === 0) return null;
  const s = values.sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    min: r(s[0]!),
    p50: r(quantile(s, 50)),
    p90: r(quantile(s, 90)),
    p99: r(quantile(s, 99)),
    max: r(s[s.length - 1]!),
  };
}

const answered = (r: HttpRequestSample): boolean => r.status > 0;

/** Summarises a run. */
export function summariseHttpLoad(result: HttpLoadResult): HttpLoadSummary {
  const byStatus: Record<string, number> = {};
  let ok = 0;
  for (const r of result.requests) {
    if (!answered(r)) continue;
    if (r.status >= 200 && r.status < 300) ok++;
    else byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
  }
  const got = result.requests.filter(answered);
  return {
    service: result.service,
    target: result.target,
    planned: result.requests.length,
    ok,
    byStatus,
    timeouts: result.requests.filter((r) => r.error === 'timeout').length,
    networkErrors: result.requests.filter((r) => r.error === 'network').length,
    skipped: result.requests.filter((r) => r.error === 'skipped').length,
    latencyMs: stats(got.map((r) => r.latencyMs ?? 0)),
    firstByteMs: stats(got.map((r) => r.firstByteMs ?? 0)),
    peakReplicas: Math.max(0, ...result.replicas.map((s) => s.replicas ?? 0)),
    peakDesired: Math.max(0, ...result.replicas.map((s) => s.desired ?? 0)),
    durationSeconds: result.durationMs / 1000,
    answeredPerSecond: result.durationMs > 0 ? got.length / (result.durationMs / 1000) : 0,
  };
}

/** Latency p50 and p99 (ms) of the answered requests sent in each second. */
export function latencyPerSecond(result: HttpLoadResult): SecondPoint[] {
  const bins = new Map<number, number[]>();
  for (const r of result.requests) {
    if (!answered(r) || r.latencyMs === null) continue;
    const s = Math.floor(r.atMs / 1000);
    const bin = bins.get(s) ?? [];
    bin.push(r.latencyMs);
    bins.set(s, bin);
  }
  const out: SecondPoint[] = [];
  for (const [time, values] of [...bins].sort((a, b) => a[0] - b[0])) {
    values.sort((a, b) => a - b);
    out.push({ time, series: 'p50', value: quantile(values, 50) });
    out.push({ time, series: 'p99', value: quantile(values, 99) });
  }
  return out;
}

/** Requests sent per second, split into 2xx, other status and no answer. */
export function outcomesPerSecond(result: HttpLoadResult): SecondPoint[] {
  const bins = new Map<string, number>();
  const seconds = new Set<number>();
  for (const r of result.requests) {
    const s = Math.floor(r.atMs / 1000);
    seconds.add(s);
    const series = r.status >= 200 && r.status < 300 ? '2xx' : r.status > 0 ? 'other status' : 'no answer';
    bins.set(`${s}|${series}`, (bins.get(`${s}|${series}`) ?? 0) + 1);
  }
  const out: SecondPoint[] = [];
  for (const time of [...seconds].sort((a, b) => a - b))
    for (const series of ['2xx', 'other status', 'no answer'])
      out.push({ time, series, value: bins.get(`${time}|${series}`) ?? 0 });
  return out;
}

/** Replicas (live, running) and the desired count at each sample. */
export function replicasOverTime(result: HttpLoadResult): SecondPoint[] {
  return result.replicas.flatMap((s) =>
    (
      [
        ['desired', s.desired],
        ['live', s.replicas],
        ['running', s.running],
      ] as const
    ).flatMap(([series, v]) => (v === null ? [] : [{ time: s.atMs / 1000, series, value: v }])),
  );
}

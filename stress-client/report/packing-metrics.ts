/**
 * Packing measures that tell strategies apart on a heterogeneous fleet (core utilisation alone
 * cannot: every strategy that places the same jobs at the same times has the same one).
 *
 * - **Workers in use ÷ bound**: busy workers against the fewest workers that could hold the used
 *   cores and the used memory at that moment ({@link workersLowerBound}), time-weighted over the
 *   time something runs. 1 is perfect packing.
 * - **Fragmentation** (after Weng et al., "Beware of Fragmentation", USENIX ATC '23, the FGD
 *   paper): the share of free cores that a task of the workload's mix could not use, because the
 *   worker's free cores or free memory are too few for it ({@link fragmentedCores}), as a ratio of
 *   time integrals: fragmented core·s ÷ free core·s.
 *
 * - **Busy-worker utilisation**: used cores ÷ cores of the workers in use, time-weighted: how full
 *   the workers that are on are, whatever their size.
 *
 * All read only the RunResult (fleet, worker step functions, jobs), so real-time and
 * virtual-time runs are measured alike. See docs/design/experiments.md for the definitions.
 */
import type { FleetWorker } from '../workload.js';
import type { JobSample, RunResult, WorkerSample } from '../run-result.js';

/** Prefix sums of the fleet's cores and memory, each sorted largest first. */
export interface FleetPrefix {
  /** `cores[k]` = the k largest workers' cores summed (cores[0] = 0). */
  readonly cores: readonly number[];
  readonly memory: readonly number[];
}

/** The prefix sums {@link workersLowerBound} needs, computed once per fleet. */
export function fleetPrefix(fleet: readonly FleetWorker[]): FleetPrefix {
  const prefix = (values: number[]): number[] => {
    values.sort((a, b) => b - a);
    const out = [0];
    for (const v of values) out.push(out[out.length - 1]! + v);
    return out;
  };
  return {
    cores: prefix(fleet.map((w) => w.cores)),
    memory: prefix(fleet.map((w) => w.memoryBytes)),
  };
}

/** Smallest k with sums[k] ≥ need (sums ascending); sums.length − 1 when even all fall short. */
function fewest(sums: readonly number[], need: number): number {
  let lo = 0;
  let hi = sums.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sums[mid]! >= need) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The fewest workers that could hold `usedCores` and `usedMemoryBytes`: max(k_c, k_m), where k_c
 * is the smallest k whose k largest workers by cores sum to ≥ used cores, and k_m the same for
 * memory. A valid lower bound: any k workers have at most the k largest core (and memory) sums,
 * so fewer than k_c (or k_m) workers cannot hold the demand even if tasks could be split.
 */
export function workersLowerBound(prefix: FleetPrefix, usedCores: number, usedMemoryBytes: number): number {
  return Math.max(fewest(prefix.cores, usedCores), fewest(prefix.memory, usedMemoryBytes));
}

/** One kind of task in the mix: its demand and how many tasks of the workload have it. */
export interface TaskKind {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly weight: number;
}

/**
 * The workload's task mix (FGD's "target workload"): every task of every submitted job, equally
 * weighted, with a job's task demand taken as its mean (cores ÷ tasks, memory ÷ tasks; exact for
 * one-task jobs and jobs of equal tasks). Tasks that fit no worker of the empty fleet are left
 * out: they would count every free core as fragmented under every strategy alike. Rejected jobs
 * never reached the cluster and are left out too.
 */
export function taskMix(jobs: readonly JobSample[], fleet: readonly FleetWorker[]): TaskKind[] {
  const kinds = new Map<string, { cores: number; memoryBytes: number; weight: number }>();
  for (const j of jobs) {
    if (j.state === 'rejected' || j.tasks < 1) continue;
    const cores = j.cores / j.tasks;
    const memoryBytes = j.memoryBytes / j.tasks;
    if (!fleet.some((w) => cores <= w.cores && memoryBytes <= w.memoryBytes)) continue;
    const key = `${cores}/${memoryBytes}`;
    const kind = kinds.get(key);
    if (kind) kind.weight += j.tasks;
    else kinds.set(key, { cores, memoryBytes, weight: j.tasks });
  }
  return [...kinds.values()].sort((a, b) => a.cores - b.cores || a.memoryBytes - b.memoryBytes);
}

/**
 * Fragmented cores of one worker: its free cores × the share (by weight) of the mix that could
 * not use them, because the task needs more cores or more memory than the worker has free.
 * An empty mix fragments nothing.
 */
export function fragmentedCores(
  freeCores: number,
  freeMemoryBytes: number,
  mix: readonly TaskKind[],
): number {
  if (freeCores <= 0 || mix.length === 0) return 0;
  let total = 0;
  let misfit = 0;
  for (const k of mix) {
    total += k.weight;
    if (k.cores > freeCores || k.memoryBytes > freeMemoryBytes) misfit += k.weight;
  }
  return (freeCores * misfit) / total;
}

/** The packing measures of a run; null when the fleet is unknown or nothing ran. */
export interface PackingMeasures {
  /** Time-weighted mean of busy workers ÷ {@link workersLowerBound} while something runs. */
  readonly workersVsBound: number | null;
  /** Fragmented core·ms ÷ free core·ms over the run, 0..1. */
  readonly fragmentation: number | null;
  /**
   * Used core·ms ÷ core·ms of busy workers, 0..1: how full the workers in use are. Unlike the
   * worker count it does not favour large workers, so the two together tell "few big workers"
   * from "small workers filled up".
   */
  readonly busyWorkerUtilisation: number | null;
}

/**
 * Walks the worker step functions over `[0, endMs]` and computes every measure. Worker samples
 * of workers not in the fleet are ignored (a real-time run may see workers leave and join).
 */
export function packingMeasures(result: RunResult, endMs: number): PackingMeasures {
  const fleet = result.fleet;
  if (fleet.length === 0) return { workersVsBound: null, fragmentation: null, busyWorkerUtilisation: null };
  const prefix = fleetPrefix(fleet);
  const mix = taskMix(result.jobs, fleet);
  const index = new Map(fleet.map((w, i) => [w.id, i]));
  const usedCores = new Float64Array(fleet.length);
  const usedMemory = new Float64Array(fleet.length);
  const frag = new Float64Array(fleet.length);
  const cache = new Map<string, number>();
  const fragOf = (i: number): number => {
    const w = fleet[i]!;
    const freeCores = w.cores - usedCores[i]!;
    const freeMemory = w.memoryBytes - usedMemory[i]!;
    const key = `${freeCores}/${freeMemory}`;
    let f = cache.get(key);
    if (f === undefined) cache.set(key, (f = fragmentedCores(freeCores, freeMemory, mix)));
    return f;
  };
  let totalCores = 0;
  let fragTotal = 0;
  for (let i = 0; i < fleet.length; i++) {
    totalCores += fleet[i]!.cores;
    frag[i] = fragOf(i);
    fragTotal += frag[i]!;
  }
  let cores = 0;
  let memory = 0;
  let busy = 0;
  let busyCores = 0;
  let usedArea = 0;
  let busyArea = 0;
  let ratioArea = 0;
  let ratioTime = 0;
  let fragArea = 0;
  let freeArea = 0;
  let at = 0;
  const advance = (to: number): void => {
    const dt = Math.min(to, endMs) - at;
    if (dt <= 0) return;
    const bound = workersLowerBound(prefix, cores, memory);
    if (bound > 0) {
      ratioArea += (busy / bound) * dt;
      ratioTime += dt;
    }
    fragArea += fragTotal * dt;
    usedArea += cores * dt;
    busyArea += busyCores * dt;
    freeArea += (totalCores - cores) * dt;
    at += dt;
  };
  const samples: WorkerSample[] = [...result.workers].sort((a, b) => a.atMs - b.atMs);
  for (const s of samples) {
    const i = index.get(s.workerId);
    if (i === undefined) continue;
    if (s.atMs > at) advance(s.atMs);
    const wasBusy = usedCores[i]! > 0;
    cores += s.usedCores - usedCores[i]!;
    memory += s.usedMemoryBytes - usedMemory[i]!;
    usedCores[i] = s.usedCores;
    usedMemory[i] = s.usedMemoryBytes;
    const nowBusy = (s.usedCores > 0 ? 1 : 0) - (wasBusy ? 1 : 0);
    busy += nowBusy;
    busyCores += nowBusy * fleet[i]!.cores;
    fragTotal -= frag[i]!;
    frag[i] = fragOf(i);
    fragTotal += frag[i];
  }
  advance(endMs);
  return {
    workersVsBound: ratioTime > 0 ? ratioArea / ratioTime : null,
    fragmentation: freeArea > 0 ? fragArea / freeArea : null,
    busyWorkerUtilisation: busyArea > 0 ? usedArea / busyArea : null,
  };
}

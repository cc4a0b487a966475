/**
 * `gangFit`: can a job's tasks ever run **together** on the fleet, with every worker idle?
 *
 * The per-task NEVER_FITS pre-check only asks whether each task fits some worker's totals. A gang
 * can pass it and still never fit as a whole (tasks of 6, 6 and 3 cores on two 8-core workers: a
 * 6-core task leaves 2 cores, so the 3-core task has nowhere to go), or simply need more than the
 * whole cluster. Such a job would wait forever with a "fewer free cores" reason while every core
 * is free. This module decides it, soundly: `never` only with a proof.
 *
 * The question is two-dimensional bin packing with heterogeneous bins (NP-hard), so it answers in
 * three steps, cheapest first:
 *  1. the gang needs more cores or memory than all workers have together → `never`;
 *  2. enough workers each hold the largest task on their own (one task per worker) → `fits`;
 *  3. an exhaustive depth-first search over assignments of tasks to workers, where idle workers
 *     of the same shape (total cores, total memory) are interchangeable and workers holding the
 *     same remainder are tried once. It finds a placement (`fits`), exhausts the space (`never`),
 *     or gives up after {@link GANG_SEARCH_BUDGET} steps or with more than
 *     {@link GANG_SEARCH_MAX_SHAPES} shapes (`unknown`, which the caller treats as "may fit").
 *
 * Counts suffice: any k free cores can be taken by the core rule, and explicit-core pins of one
 * job on one worker never overlap (the pre-checks reject that), so a worker holds a set of tasks
 * exactly when their cores and memory add up to at most its totals.
 */

/** Well-formed workers (ready or not) of one shape: the same total cores and total memory. */
export interface WorkerShape {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly count: number;
}

/** One task of the gang; `pin` is a key naming its pinned worker, or undefined. */
export interface GangTask {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly pin?: { readonly key: number; readonly cores: number; readonly memoryBytes: number } | undefined;
}

/** The verdict: `never` is proved; `unknown` means the search gave up. */
export type GangVerdict = 'fits' | 'never' | 'unknown';

/** Search steps (tasks tried on a worker) before the search gives up with `unknown`. */
export const GANG_SEARCH_BUDGET = 20_000;
/** Above this many distinct worker shapes the search is not tried (`unknown` unless steps 1–2 decide). */
export const GANG_SEARCH_MAX_SHAPES = 64;

/**
 * Sorts shapes the same way for every caller (cores, then memory, descending), so the search and
 * its budget behave identically on a snapshot and on the live index.
 */
export function sortShapes(shapes: WorkerShape[]): WorkerShape[] {
  return shapes.sort((a, b) => b.cores - a.cores || b.memoryBytes - a.memoryBytes);
}

/**
 * Decides whether `tasks` can be placed together on idle workers of `shapes` (which include the
 * pinned workers).
 * @param shapes sorted by {@link sortShapes}; counts > 0
 */
export function gangFit(tasks: readonly GangTask[], shapes: readonly WorkerShape[]): GangVerdict {
  let needCores = 0;
  let needMemory = 0;
  let haveCores = 0;
  let haveMemory = 0;
  for (const t of tasks) {
    needCores += t.cores;
    needMemory += t.memoryBytes;
  }
  for (const s of shapes) {
    haveCores += s.cores * s.count;
    haveMemory += s.memoryBytes * s.count;
  }
  if (needCores > haveCores || needMemory > haveMemory) return 'never';

  // Pinned workers are bins of their own, opened with their pinned tasks inside.
  const pool = shapes.map((s) => ({ cores: s.cores, memoryBytes: s.memoryBytes, left: s.count }));
  const bins: { cores: number; memory: number }[] = [];
  const binOfKey = new Map<number, number>();
  const free: GangTask[] = [];
  for (const t of tasks) {
    if (t.pin === undefined) {
      free.push(t);
      continue;
    }
    let b = binOfKey.get(t.pin.key);
    if (b === undefined) {
      b = bins.length;
      binOfKey.set(t.pin.key, b);
      bins.push({ cores: t.pin.cores, memory: t.pin.memoryBytes });
      const shape = pool.find((s) => s.cores === t.pin!.cores && s.memoryBytes === t.pin!.memoryBytes);
      if (shape !== undefined && shape.left > 0) shape.left--;
    }
    bins[b]!.cores -= t.cores;
    bins[b]!.memory -= t.memoryBytes;
    if (bins[b]!.cores < 0 || bins[b]!.memory < 0) return 'never';
  }
  if (free.length === 0) return 'fits';

  // One task per worker: enough idle workers that each hold the largest task.
  let maxCores = 0;
  let maxMemory = 0;
  for (const t of free) {
    if (t.cores > maxCores) maxCores = t.cores;
    if (t.memoryBytes > maxMemory) maxMemory = t.memoryBytes;
  }
  let roomy = 0;
  for (const s of pool) if (s.cores >= maxCores && s.memoryBytes >= maxMemory) roomy += s.left;
  if (roomy >= free.length) return 'fits';
  if (pool.length > GANG_SEARCH_MAX_SHAPES) return 'unknown';

  // Exhaustive search, largest tasks first.
  const order = [...free].sort((a, b) => b.cores - a.cores || b.memoryBytes - a.memoryBytes);
  const restCores = new Array<number>(order.length + 1).fill(0);
  const restMemory = new Array<number>(order.length + 1).fill(0);
  for (let i = order.length - 1; i >= 0; i--) {
    restCores[i] = restCores[i + 1]! + order[i]!.cores;
    restMemory[i] = restMemory[i + 1]! + order[i]!.memoryBytes;
  }
  let steps = 0;
  let spareCores = 0;
  let spareMemory = 0;
  for (const b of bins) {
    spareCores += b.cores;
    spareMemory += b.memory;
  }
  for (const s of pool) {
    spareCores += s.cores * s.left;
    spareMemory += s.memoryBytes * s.left;
  }

  const search = (i: number, cores: number, memory: number): boolean | undefined => {
    if (i === order.length) return true;
    // Not enough room left in total (opened remainders + idle workers) for the tasks to place.
    if (restCores[i]! > cores || restMemory[i]! > memory) return false;
    const t = order[i]!;
    const tried = new Set<string>();
    for (const b of bins) {
      if (b.cores < t.cores || b.memory < t.memoryBytes) continue;
      const key = `${b.cores}/${b.memory}`;
      if (tried.has(key)) continue;
      tried.add(key);
      if (++steps > GANG_SEARCH_BUDGET) return undefined;
      b.cores -= t.cores;
      b.memory -= t.memoryBytes;
      const found = search(i + 1, cores - t.cores, memory - t.memoryBytes);
      b.cores += t.cores;
      b.memory += t.memoryBytes;
      if (found !== false) return found;
    }
    for (const s of pool) {
      if (s.left === 0 || s.cores < t.cores || s.memoryBytes < t.memoryBytes) continue;
      if (tried.has(`${s.cores}/${s.memoryBytes}`)) continue;
      if (++steps > GANG_SEARCH_BUDGET) return undefined;
      s.left--;
      bins.push({ cores: s.cores - t.cores, memory: s.memoryBytes - t.memoryBytes });
      const found = search(i + 1, cores - t.cores, memory - t.memoryBytes);
      bins.pop();
      s.left++;
      if (found !== false) return found;
    }
    return false;
  };
  const found = search(0, spareCores, spareMemory);
  return found === undefined ? 'unknown' : found ? 'fits' : 'never';
}

/**
 * Arbitraries for gang tests (issue 14, item 1): small fleets of few shapes, partly busy or not
 * ready, and batches of multi-task jobs sized so that gangs often fit each worker alone but not
 * together, plus an exhaustive oracle for "can these tasks ever run together".
 */
import fc from 'fast-check';
import type { JobRequest, WorkerView } from '../../core/scheduler/types.js';
import { GiB } from './scheduler-fixtures.js';

/**
 * 1–4 workers w0..w3 of 2–8 cores and 1–4 GiB, some not ready, some with busy cores or memory,
 * some whose cores are not ids 0.. but a later run (a cpuset like "4-7": `coreCount` < `totalCores`).
 */
export const arbGangFleet: fc.Arbitrary<WorkerView[]> = fc
  .array(
    fc.record({
      cores: fc.integer({ min: 2, max: 8 }),
      memory: fc.integer({ min: 1, max: 4 }),
      ready: fc.integer({ min: 0, max: 5 }).map((x) => x !== 0),
      busy: fc.integer({ min: 0, max: 8 }),
      busyMemory: fc.integer({ min: 0, max: 3 }),
      offset: fc.integer({ min: 0, max: 8 }).map((x) => (x > 4 ? 0 : x)),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((specs) =>
    specs.map(({ cores, memory, ready, busy, busyMemory, offset }, i) => {
      const busyCores = busy > 4 ? 0 : Math.min(busy, cores);
      const total = memory * GiB;
      return {
        id: `w${i}`,
        ready,
        totalCores: cores + offset,
        ...(offset > 0
          ? { coreCount: cores, ownCoreIds: Array.from({ length: cores }, (_, k) => k + offset) }
          : {}),
        freeCoreIds: Array.from({ length: cores - busyCores }, (_, k) => k + busyCores + offset),
        totalMemoryBytes: total,
        freeMemoryBytes: Math.max(0, total - (busyMemory > 1 ? (busyMemory - 1) * GiB : 0)),
      };
    }),
  );

/** 1–5 jobs of 1–4 tasks of 1–7 cores and 0–2 GiB; about 1 task in 8 pinned to w0 or w1. */
export const arbGangBatch: fc.Arbitrary<JobRequest[]> = fc
  .array(
    fc.array(
      fc.record({
        cores: fc.integer({ min: 1, max: 7 }),
        memory: fc.integer({ min: 0, max: 2 }),
        pin: fc.integer({ min: 0, max: 15 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((jobs) =>
    jobs.map((tasks, j) => ({
      jobId: `j${j}`,
      priority: j % 2,
      submittedAtMs: j,
      tasks: tasks.map(({ cores, memory, pin }, t) => ({
        taskId: `j${j}t${t}`,
        cores,
        memoryBytes: memory * GiB,
        ...(pin < 2 ? { pin: { workerId: `w${pin}` } } : {}),
      })),
    })),
  );

/**
 * True when the tasks can be assigned to the well-formed workers (at full capacity, ready or
 * not; pinned tasks to their worker) so that no worker holds more cores or memory than its totals.
 * Exhaustive: workers^tasks assignments.
 */
export function gangCanRun(
  tasks: readonly { cores: number; memoryBytes: number; pin?: { workerId: string } | undefined }[],
  workers: readonly WorkerView[],
): boolean {
  const cores = workers.map((w) => w.coreCount ?? w.totalCores);
  const memory = workers.map((w) => w.totalMemoryBytes);
  const place = (i: number): boolean => {
    if (i === tasks.length) return true;
    const t = tasks[i]!;
    for (let w = 0; w < workers.length; w++) {
      if (t.pin !== undefined && workers[w]!.id !== t.pin.workerId) continue;
      if (cores[w]! < t.cores || memory[w]! < t.memoryBytes) continue;
      cores[w]! -= t.cores;
      memory[w]! -= t.memoryBytes;
      const ok = place(i + 1);
      cores[w]! += t.cores;
      memory[w]! += t.memoryBytes;
      if (ok) return true;
    }
    return false;
  };
  return place(0);
}

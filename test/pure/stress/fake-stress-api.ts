/**
 * An in-memory {@link StressApi} for tests of the real-time runner's logic: submissions resolve
 * when the test says so (or at once), names already taken are refused with JOB_EXISTS, and the
 * peak number of requests in flight is recorded.
 */
import type { NativeJob, StressApi, SubmitOutcome } from '../../../stress-client/real-time/stress-api.js';

export class FakeStressApi implements StressApi {
  readonly submitted: NativeJob[] = [];
  inFlight = 0;
  peakInFlight = 0;
  private readonly names = new Set<string>();
  private readonly pending: (() => void)[] = [];

  constructor(private readonly holdSubmissions = false) {}

  async submitJob(job: NativeJob): Promise<SubmitOutcome> {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    if (this.holdSubmissions) await new Promise<void>((r) => this.pending.push(r));
    else await Promise.resolve();
    this.inFlight--;
    this.submitted.push(job);
    if (this.names.has(job.name)) {
      return {
        ok: false,
        status: 409,
        code: 'JOB_EXISTS',
        message: `a job named "${job.name}" already exists`,
      };
    }
    this.names.add(job.name);
    return { ok: true };
  }

  /** Lets the oldest held submission complete; false when none is held. */
  release(): boolean {
    const r = this.pending.shift();
    r?.();
    return r !== undefined;
  }

  listJobs(): Promise<{ items: never[]; nextCursor: null }> {
    return Promise.resolve({ items: [], nextCursor: null });
  }
  getJob(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  listWorkers(): Promise<never[]> {
    return Promise.resolve([]);
  }
  getScheduler(): Promise<{ strategy: 'best-fit'; available: []; queued: number }> {
    return Promise.resolve({ strategy: 'best-fit', available: [], queued: 0 });
  }
  setScheduler(): Promise<{ strategy: 'best-fit'; available: []; queued: number }> {
    return this.getScheduler();
  }
  close(): void {}
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = (file: string): string => fileURLToPath(new URL(`./fixtures/original/${file}`, import.meta.url));

/**
 * The original repository's own sample jobs (TestSample/SampleJob1-4.json at d81aa55c): network
 * driver `weaveworks/net-plugin:latest_release`, a `session` field on the first, a task key that
 * differs from its `container_name` on the fourth, a subnet with host bits on the last two.
 */
export function originalSampleJobs(): Record<string, any>[] {
  return [1, 2, 3, 4].map((i) => JSON.parse(readFileSync(dir(`sample-job-${i}.json`), 'utf8')));
}

/** One request of the recorded original client sequence. */
export interface RecordedRequest {
  /** Offset from the first request, ms. */
  readonly atMs: number;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** As python-requests sends them; never an Authorization header. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body text, when there is one. */
  readonly body?: string;
}

/** What the original stress clients send, in order (see the fixture's description). */
export function originalClientSequence(): readonly RecordedRequest[] {
  const doc = JSON.parse(readFileSync(dir('client-sequence.json'), 'utf8')) as {
    requests: RecordedRequest[];
  };
  return doc.requests;
}

import type Docker from 'dockerode';
import {
  capLines,
  advanceCursor,
  dockerSince,
  linesAfter,
  parseTimestampedLines,
  type LogChunk,
  type LogLine,
  type LogQuery,
} from '../../core/protocol/index.js';

/** Frame header of the engine's multiplexed stdout/stderr stream (no TTY): type, 3 zero bytes, size. */
const HEADER_BYTES = 8;

/**
 * Splits the engine's multiplexed log stream into lines, frame by frame, as bytes arrive: each
 * frame is `[1 = stdout | 2 = stderr, 0, 0, 0, size (uint32 BE)]` then `size` bytes. Exported
 * for tests; {@link readContainerLogs} is the one user.
 */
export class LogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  /** Text of the lines read so far, in bytes (what the cap is checked against). */
  bytes = 0;
  readonly lines: LogLine[] = [];

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.pending.length < HEADER_BYTES) return;
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) return;
      const stream = this.pending[0] === 2 ? 'stderr' : 'stdout';
      const payload = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size).toString('utf8');
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      for (const l of parseTimestampedLines(payload, stream)) {
        this.lines.push(l);
        this.bytes += Buffer.byteLength(l.text) + 1;
      }
    }
  }
}

/**
 * A chunk of a container's output (`GET /containers/{id}/logs` with timestamps): after the
 * cursor (the engine's `since`, inclusive, then the lines already read at that instant are
 * skipped), else the last `tail` lines at or after `sinceMs`. The answer is read as a stream and
 * dropped once it holds more than `maxBytes`, so a container with gigabytes of output costs one
 * chunk's memory, not its whole log. Whether the container still runs is read first: lines it
 * writes after that moment are in this chunk or the next, never lost.
 * @throws dockerode's error (404 when the container is gone)
 */
export async function readContainerLogs(docker: Docker, id: string, q: LogQuery): Promise<LogChunk> {
  const container = docker.getContainer(id);
  const running = (await container.inspect()).State.Running;
  const options: Record<string, string | boolean> = { stdout: true, stderr: true, timestamps: true };
  if (q.after) options['since'] = dockerSince(q.after.at);
  else {
    if (q.sinceMs !== undefined) options['since'] = (q.sinceMs / 1000).toFixed(3);
    options['tail'] = q.tail === undefined ? 'all' : String(q.tail);
  }
  const demux = new LogDemuxer();
  let cut = false;
  if (q.after || q.tail !== 0) {
    const stream = await dial(docker, id, options);
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        demux.push(chunk);
        // Enough for this chunk (plus the lines a cursor skips): the rest is read next time.
        if (demux.bytes > q.maxBytes + (q.after ? q.after.skip * 64 * 1024 : 0)) {
          cut = true;
          stream.destroy();
          resolve();
        }
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', (err: Error) => (cut ? resolve() : reject(err)));
    });
  }
  const lines = linesAfter(demux.lines, q.after);
  const capped = capLines(lines, q.maxBytes);
  return {
    lines: capped.lines,
    cursor: advanceCursor(q.after, capped.lines),
    more: capped.more || cut,
    ended: !running,
  };
}

/** The logs endpoint as a stream (dockerode buffers the whole answer unless it follows). */
function dial(
  docker: Docker,
  id: string,
  options: Record<string, string | boolean>,
): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        options,
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      },
      (err: unknown, stream: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        else resolve(stream as NodeJS.ReadableStream & { destroy(): void });
      },
    );
  });
}

import type { Request, Response } from 'express';
import type { Clock } from '../core/clock/clock.js';
import type { Logger } from '../core/log/logger.js';

/** Where a streamed answer writes: each write waits while the client's socket is full. */
export interface StreamWriter {
  /** Sends `text` (UTF-8); resolves at once once the client is gone (check the signal). */
  write(text: string): Promise<void>;
}

/**
 * A body written over time (followed logs, Server-Sent Events). A handler that returns one has
 * already done every check that can fail with a catalogue error: once the status line is out, a
 * failure can only end the stream.
 */
export interface StreamBody {
  /** e.g. `text/plain; charset=utf-8`, `text/event-stream` */
  readonly contentType: string;
  /**
   * Writes the body and resolves when it is complete. `signal` aborts when the client
   * disconnects (or the FrontEnd's stream limit is reached): every loop and wait must end then.
   */
  run(out: StreamWriter, signal: AbortSignal): Promise<void>;
}

/** Where express keeps, for the HTTP metrics, when a streamed answer's head went out. */
export const STREAM_HEAD_SENT = 'rswarmStreamHeadSentNs';

/** What writing streams needs from the FrontEnd. */
export interface StreamOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Longest a streamed answer stays open (clients resume: SSE with Last-Event-ID); 0 = no limit. */
  readonly maxStreamMs: number;
}

/**
 * Sends `body` as the answer: the status and head at once (no buffering by proxies), then what
 * `run` writes, with backpressure. The run's signal aborts when the client goes away, so no loop
 * outlives its client; a failure mid-stream is logged and ends the answer.
 */
export async function writeStreamedAnswer(
  req: Request,
  res: Response,
  status: number,
  body: StreamBody,
  options: StreamOptions,
): Promise<void> {
  const abort = new AbortController();
  const gone = (): void => abort.abort();
  res.once('close', gone);
  req.once('aborted', gone);
  res.status(status);
  res.setHeader('Content-Type', body.contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.locals[STREAM_HEAD_SENT] = process.hrtime.bigint();
  if (req.method === 'HEAD') {
    // The head is the whole answer: no body would ever be sent, so nothing is read or polled.
    res.off('close', gone);
    req.off('aborted', gone);
    res.end();
    return;
  }
  const writer: StreamWriter = {
    write: (text) =>
      new Promise<void>((resolve) => {
        if (abort.signal.aborted || res.writableEnded) {
          resolve();
          return;
        }
        if (res.write(text)) {
          resolve();
          return;
        }
        const done = (): void => {
          res.off('drain', done);
          abort.signal.removeEventListener('abort', done);
          resolve();
        };
        res.once('drain', done);
        abort.signal.addEventListener('abort', done, { once: true });
      }),
  };
  const limit = new AbortController();
  const timer =
    options.maxStreamMs > 0
      ? options.clock.sleep(options.maxStreamMs, limit.signal).then(gone, () => undefined)
      : undefined;
  try {
    await body.run(writer, abort.signal);
  } catch (err) {
    if (!abort.signal.aborted) options.logger.warn({ err, path: req.path }, 'a streamed answer failed');
  } finally {
    limit.abort();
    await timer;
    res.off('close', gone);
    req.off('aborted', gone);
    if (!res.writableEnded) res.end();
  }
}

/**
 * Progress of a real-time run: a cli-progress bar on a terminal, plain periodic lines otherwise
 * (CI logs, pipes), or nothing. Written to a stream the caller chooses (stderr by default), so
 * stdout keeps only the summary.
 */
import cliProgress from 'cli-progress';

/** Counts shown while a run goes on. */
export interface ProgressState {
  readonly submitted: number;
  readonly rejected: number;
  /** Jobs that reached a terminal state. */
  readonly done: number;
  readonly total: number;
  readonly queueDepth: number;
  readonly phase: 'submitting' | 'collecting';
}

/** Where progress goes. */
export interface ProgressSink {
  update(state: ProgressState): void;
  stop(): void;
}

/** Discards progress. */
export const silentProgress: ProgressSink = { update: () => undefined, stop: () => undefined };

/** A cli-progress bar (for a TTY). */
export function barProgress(stream: NodeJS.WritableStream, label: string): ProgressSink {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} {bar} {done}/{total} done | submitted {submitted}, rejected {rejected} | queue {queueDepth} | {phase}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(s) {
      const payload = { ...s };
      if (!started) {
        bar.start(s.total, s.done, payload);
        started = true;
      } else {
        bar.setTotal(s.total);
        bar.update(s.done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** One plain line at most every `everyMs` (and on the last update before stop). */
export function lineProgress(
  stream: NodeJS.WritableStream,
  label: string,
  everyMs = 5000,
  now = Date.now,
): ProgressSink {
  let last = -Infinity;
  let pending: ProgressState | undefined;
  const started = now();
  const write = (s: ProgressState): void => {
    const t = ((now() - started) / 1000).toFixed(0);
    stream.write(
      `${label} ${t}s ${s.phase}: submitted ${s.submitted}/${s.total}, rejected ${s.rejected}, done ${s.done}, queue ${s.queueDepth}\n`,
    );
    last = now();
    pending = undefined;
  };
  return {
    update(s) {
      if (now() - last >= everyMs) write(s);
      else pending = s;
    },
    stop() {
      if (pending) write(pending);
    },
  };
}

/** A bar when `stream` is a TTY, plain lines otherwise. */
export function autoProgress(stream: NodeJS.WriteStream, label: string): ProgressSink {
  return stream.isTTY ? barProgress(stream, label) : lineProgress(stream, label);
}

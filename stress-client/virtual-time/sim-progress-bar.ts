/**
 * A progress bar for a virtual-time run: virtual time reached out of the last arrival's time,
 * with jobs done and the queue, drawn by cli-progress on a terminal only (a pipe or a CI log gets
 * nothing, so stderr stays clean there). Feed it {@link SimProgress} from `simulate`'s
 * `onProgress`.
 */
import cliProgress from 'cli-progress';
import type { SimProgress } from './simulate-options.js';

/** A bar to feed and stop. */
export interface SimProgressBar {
  readonly onProgress: (p: SimProgress) => void;
  stop(): void;
}

/** Formats virtual time compactly: `12s`, `45m`, `3.2h`, `17.5d`. */
export function formatVirtualTime(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
}

/** A bar on `stream` when it is a terminal, else a sink that draws nothing. */
export function simProgressBar(stream: NodeJS.WriteStream, label: string): SimProgressBar {
  if (!stream.isTTY) return { onProgress: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} {bar} virtual {virtual}/{end} | {done}/{jobs} jobs done | queue {queue}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(p) {
      const end = Math.max(p.lastArrivalMs, p.nowMs, 1);
      const payload = {
        virtual: formatVirtualTime(p.nowMs),
        end: formatVirtualTime(end),
        done: p.done,
        jobs: p.jobs,
        queue: p.queueDepth,
      };
      if (!started) {
        bar.start(end, p.nowMs, payload);
        started = true;
      } else {
        bar.setTotal(end);
        bar.update(p.nowMs, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

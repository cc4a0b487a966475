import type Docker from 'dockerode';
import { z } from 'zod';
import type { Clock } from '../../core/clock/clock.js';
import type { Logger } from '../../core/log/logger.js';

/** First and largest wait before reopening a broken event stream. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

const eventSchema = z.object({
  Type: z.literal('container'),
  Action: z.string(),
  time: z.number().int().optional(),
  Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()).default({}) }),
});

/** A container lifecycle event the worker acts on (`oom`: the OOM killer hit a process in it). */
export interface ContainerEvent {
  readonly action: 'start' | 'die' | 'oom';
  readonly containerId: string;
  /** The container's labels, plus the engine's attributes (`name`, `image`, `exitCode` on die). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ContainerEventsOptions {
  /** Label filters, e.g. `rswarm.worker=w1`: the engine sends only matching containers' events. */
  readonly labels: readonly string[];
  readonly onEvent: (event: ContainerEvent) => void;
  /** Called after a broken stream is reopened: events in the gap may be missing, resynchronise. */
  readonly onReconnect: () => void;
}

/**
 * A push subscription to the engine's container `start`/`oom`/`die` events (one long-lived
 * `GET /events` stream, no polling), reopened with backoff whenever it ends. A reopened stream
 * asks for events since the last one seen, so a short gap replays from the engine's buffer;
 * duplicates are possible and harmless (consumers treat states as forward-only).
 */
export class ContainerEvents {
  private readonly abort = new AbortController();
  private lastEventTime: number | undefined;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly docker: Docker,
    private readonly options: ContainerEventsOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Opens the stream; resolves once the engine is streaming (so no later event is missed). */
  static async open(
    docker: Docker,
    options: ContainerEventsOptions,
    deps: { clock: Clock; logger: Logger },
  ): Promise<ContainerEvents> {
    const events = new ContainerEvents(docker, options, deps.clock, deps.logger);
    const first = await events.connect();
    events.loop = events.run(first);
    return events;
  }

  /** Ends the stream for good. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private connect(): Promise<NodeJS.ReadableStream> {
    return this.docker.getEvents({
      filters: { type: ['container'], event: ['start', 'die', 'oom'], label: [...this.options.labels] },
      ...(this.lastEventTime !== undefined ? { since: this.lastEventTime } : {}),
      abortSignal: this.abort.signal,
    });
  }

  private async run(first: NodeJS.ReadableStream): Promise<void> {
    let stream: NodeJS.ReadableStream | undefined = first;
    let delay = RECONNECT_MIN_MS;
    while (!this.abort.signal.aborted) {
      if (stream) {
        await this.consume(stream);
        stream = undefined;
        if (this.abort.signal.aborted) return;
        this.logger.warn('docker event stream ended; reopening');
      }
      try {
        await this.clock.sleep(delay, this.abort.signal);
        stream = await this.connect();
        delay = RECONNECT_MIN_MS;
        this.options.onReconnect();
      } catch (err) {
        if (this.abort.signal.aborted) return;
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        this.logger.warn({ err, retryInMs: delay }, 'could not reopen the docker event stream');
      }
    }
  }

  /** Reads newline-delimited JSON events until the stream ends or fails. */
  private consume(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer | string) => {
        buffered += chunk.toString();
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          this.parse(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', (err: Error) => {
        if (!this.abort.signal.aborted) this.logger.warn({ err }, 'docker event stream failed');
        resolve();
      });
    });
  }

  private parse(line: string): void {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.logger.warn({ line: line.slice(0, 200) }, 'unreadable docker event');
      return;
    }
    const parsed = eventSchema.safeParse(raw);
    if (!parsed.success) return;
    const e = parsed.data;
    if (e.time !== undefined) this.lastEventTime = e.time;
    if (e.Action !== 'start' && e.Action !== 'die' && e.Action !== 'oom') return;
    try {
      this.options.onEvent({ action: e.Action, containerId: e.Actor.ID, attributes: e.Actor.Attributes });
    } catch (err) {
      this.logger.error({ err }, 'docker event handler failed');
    }
  }
}

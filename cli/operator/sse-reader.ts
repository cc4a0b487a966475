/**
 * A Server-Sent Events reader over a fetch Response body (`GET /api/v1/events`): fetch, not
 * EventSource, because the stream needs the Authorization header. Parsing is split out pure.
 */

/** One event of the stream. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Incremental parser: feed it text chunks, it calls `onMessage` per complete event. Comment lines
 * (`: keepalive`) and unknown fields are ignored, as the SSE specification says.
 */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];

  constructor(private readonly onMessage: (m: SseMessage) => void) {}

  /** Adds a chunk of the stream. */
  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const sepLen = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      this.buffer = this.buffer.slice(nl + sepLen);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0)
        this.onMessage({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }
}

/** Reads `body` to its end (or until `signal` aborts), calling `onMessage` per event. */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onMessage: (m: SseMessage) => void | 'stop',
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let stop = false;
  const parser = new SseParser((m) => {
    if (!stop && onMessage(m) === 'stop') stop = true;
  });
  try {
    while (!stop) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

// @ts-check
/**
 * @module Server-Sent Events over `fetch` (an EventSource cannot send the bearer token): an
 * incremental parser of the `text/event-stream` format and a reader that reconnects, resuming
 * after the last event id it saw.
 */

/**
 * One dispatched event.
 * @typedef {{ id: string | null, event: string, data: string }} SseMessage
 */

/**
 * Parses `text/event-stream` text fed in arbitrary chunks (WHATWG HTML, "event stream
 * interpretation"): `id`, `event` and `data` fields, a blank line dispatches, `:` lines are
 * comments (the server's keepalives).
 */
export class SseParser {
  #buffer = '';
  /** @type {string | null} */
  #id = null;
  #event = '';
  /** @type {string[]} */
  #data = [];

  /**
   * @param {string} chunk
   * @returns {SseMessage[]} the events this chunk completed
   */
  push(chunk) {
    this.#buffer += chunk;
    /** @type {SseMessage[]} */
    const out = [];
    let nl;
    while ((nl = this.#buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (this.#buffer[nl] === '\r' && nl === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + (this.#buffer.startsWith('\r\n', nl) ? 2 : 1));
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  /**
   * @param {string} line
   * @returns {SseMessage | undefined}
   */
  #line(line) {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const message = { id: this.#id, event: this.#event || 'message', data: this.#data.join('\n') };
      this.#event = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }
}

/**
 * The reader's connection state: `live` while the stream is open, `retrying` between attempts,
 * `unavailable` when the server has no event stream (404), `stopped` once closed.
 * @typedef {'connecting' | 'live' | 'retrying' | 'unavailable' | 'stopped'} StreamState
 */

/**
 * Reads an event stream until `close()`, reconnecting with a growing delay (1 s … 30 s) and
 * sending `Last-Event-ID` so nothing seen is sent twice. A 401 stops it (the token is gone).
 * @param {{
 *   api: import('./api.js').Api,
 *   path: string,
 *   onEvent: (message: SseMessage) => void,
 *   onState?: (state: StreamState, detail?: string) => void,
 *   onUnauthorized?: () => void,
 * }} options
 * @returns {{ close(): void }}
 */
export function openEventStream({ api, path, onEvent, onState = () => {}, onUnauthorized = () => {} }) {
  const controller = new AbortController();
  /** @type {string | null} */
  let lastId = null;
  let delayMs = 1000;
  let stopped = false;

  const run = async () => {
    while (!stopped) {
      onState('connecting');
      try {
        const res = await api.stream(
          path,
          controller.signal,
          lastId === null ? {} : { 'Last-Event-ID': lastId },
        );
        if (!res.body) throw new Error('the answer has no body');
        onState('live');
        delayMs = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            if (message.id !== null) lastId = message.id;
            onEvent(message);
          }
        }
        if (stopped) break;
        onState('retrying', 'the stream ended');
      } catch (err) {
        if (stopped) break;
        const e = /** @type {{ status?: number, message?: string }} */ (err);
        if (e.status === 401) {
          stopped = true;
          onUnauthorized();
          break;
        }
        if (e.status === 404 || e.status === 405) {
          onState('unavailable', 'this FrontEnd has no event stream');
          delayMs = 30_000;
        } else onState('retrying', e.message ?? String(err));
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 30_000);
    }
    onState('stopped');
  };
  void run();
  return {
    close() {
      stopped = true;
      controller.abort();
    },
  };
}

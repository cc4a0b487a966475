// @ts-check
/**
 * @module The job panel: the job's tasks and placements, its events (a stream filtered to the
 * job, with its recent backlog) and a task's logs (`GET /api/v1/tasks/{task}/logs`, optionally
 * followed).
 */
import { openEventStream } from './event-stream.js';
import { eventItem, renderJobDetail } from './render.js';

/** Characters of log text kept in the panel; older text is dropped first. */
const MAX_LOG_CHARS = 200_000;

export class JobDetail {
  /** @type {string | null} */
  #name = null;
  /** @type {any} */
  #job = null;
  /** @type {{ close(): void } | null} */
  #events = null;
  /** @type {AbortController | null} */
  #logs = null;
  #api;
  #root;
  #onChange;
  #onError;

  /**
   * @param {{
   *   api: import('./api.js').Api,
   *   root: HTMLElement,
   *   onChange: () => void,
   *   onError: (err: unknown) => void,
   * }} deps
   */
  constructor({ api, root, onChange, onError }) {
    this.#api = api;
    this.#root = root;
    this.#onChange = onChange;
    this.#onError = onError;
    this.#el('log-load').addEventListener('click', () => void this.#loadLogs());
  }

  /**
   * @param {string} id
   * @returns {HTMLElement}
   */
  #el(id) {
    const el = this.#root.querySelector(`#${id}`);
    if (!el) throw new Error(`the job panel has no #${id}`);
    return /** @type {HTMLElement} */ (el);
  }

  /**
   * Opens the panel on a job: reads it, starts its event stream.
   * @param {string} name
   */
  show(name) {
    if (name !== this.#name) {
      this.close();
      this.#name = name;
      this.#job = null;
      this.#root.hidden = false;
      this.#el('detail-body').replaceChildren();
      this.#el('detail-events').replaceChildren();
      this.#el('logs').textContent = '';
      const events = this.#el('detail-events');
      this.#events = openEventStream({
        api: this.#api,
        path: `/api/v1/events?job=${encodeURIComponent(name)}&backlog=200`,
        onEvent: (m) => {
          try {
            events.append(eventItem(JSON.parse(m.data)));
          } catch {
            // Not a ClusterEvent: nothing to show.
          }
        },
        onState: (s) => {
          this.#el('events-state').textContent =
            s === 'unavailable' ? 'This FrontEnd has no event stream.' : s === 'live' ? '' : s;
        },
      });
    }
    this.#root.hidden = false;
    this.#root.scrollIntoView({ block: 'nearest' });
    void this.refresh();
  }

  /** Reads the open job again and redraws it. */
  async refresh() {
    const name = this.#name;
    if (!name) return;
    try {
      const job = await this.#api.get(`/api/v1/jobs/${encodeURIComponent(name)}`);
      if (name !== this.#name) return;
      this.#job = job;
      renderJobDetail(this.#el('detail-body'), job, { cancel: (n) => void this.#cancel(n) });
      this.#syncTaskChoice(job);
    } catch (err) {
      this.#onError(err);
    }
  }

  /** Closes the panel and its streams. */
  close() {
    this.#events?.close();
    this.#events = null;
    this.#logs?.abort();
    this.#logs = null;
    this.#name = null;
    this.#root.hidden = true;
  }

  /** @param {any} job */
  #syncTaskChoice(job) {
    const select = /** @type {HTMLSelectElement} */ (this.#el('log-task'));
    const names = job.tasks.map((/** @type {any} */ t) => t.name);
    const current = [...select.options].map((o) => o.value);
    if (names.join('\n') === current.join('\n')) return;
    const chosen = select.value;
    select.replaceChildren(
      ...names.map((/** @type {string} */ n) => {
        const o = document.createElement('option');
        o.value = n;
        o.textContent = n;
        o.selected = n === chosen;
        return o;
      }),
    );
  }

  /** @param {string} name */
  async #cancel(name) {
    try {
      await this.#api.send('DELETE', `/api/v1/jobs/${encodeURIComponent(name)}`);
    } catch (err) {
      this.#onError(err);
    }
    this.#onChange();
  }

  /**
   * Reads the chosen task's logs into the panel; with "follow", new lines keep arriving until the
   * task ends or another task is chosen. The route takes the container name (`<job>_<task>` for
   * native jobs) or a task name unique among live jobs: both are tried.
   */
  async #loadLogs() {
    const job = this.#job;
    const task = /** @type {HTMLSelectElement} */ (this.#el('log-task')).value;
    if (!job || !task) return;
    this.#logs?.abort();
    const controller = new AbortController();
    this.#logs = controller;
    const out = this.#el('logs');
    const follow = /** @type {HTMLInputElement} */ (this.#el('log-follow')).checked;
    out.textContent = '';
    const query = `tail=200&follow=${follow}`;
    for (const candidate of [`${job.name}_${task}`, task]) {
      try {
        const res = await this.#api.stream(
          `/api/v1/tasks/${encodeURIComponent(candidate)}/logs?${query}`,
          controller.signal,
        );
        if (!res.body) return;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const text = (out.textContent ?? '') + value;
          out.textContent = text.length > MAX_LOG_CHARS ? text.slice(-MAX_LOG_CHARS) : text;
          out.scrollTop = out.scrollHeight;
        }
        if (!out.textContent) out.textContent = '(no output)';
        return;
      } catch (err) {
        if (controller.signal.aborted) return;
        const e = /** @type {{ status?: number, code?: string, message?: string }} */ (err);
        if (e.status === 404 && candidate !== task) continue;
        out.textContent = e.code
          ? `${e.code}: ${e.message ?? ''}`
          : `Logs unavailable: ${e.message ?? String(err)}`;
        return;
      }
    }
  }
}

// @ts-check
/**
 * @module The dashboard page: signs in with the bearer token (kept in sessionStorage, so it
 * lives as long as the tab), reads the cluster from the REST API and redraws it; the event
 * stream (`GET /api/v1/events`) triggers refreshes as things happen, and a slower poll keeps the
 * page right when the stream is down or the FrontEnd has none.
 */
import { createApi } from './api.js';
import { openEventStream } from './event-stream.js';
import { JobDetail } from './job-detail.js';
import { eventItem, renderCores, renderJobs, renderSummary, renderWorkers } from './render.js';

const TOKEN_KEY = 'rswarm.token';
const LIVE_STATES = ['waiting', 'scheduled', 'running'];
const ENDED_STATES = ['finished', 'failed', 'cancelled'];
const HISTORY_PAGES = 5;
const HISTORY_EVERY_MS = 30_000;
/** Ended jobs kept on the page (newest first); older ones are in the API's history. */
const MAX_ENDED = 50;
/** How often the page re-reads everything: often without the event stream, rarely with it. */
const POLL_MS = { live: 15_000, other: 3_000 };
const MAX_FEED = 100;
const ENDED_KINDS = ENDED_STATES.map((s) => `job-${s}`);

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

const api = createApi(() => sessionStorage.getItem(TOKEN_KEY));

const state = {
  /** @type {any[]} */ workers: [],
  /** @type {Map<string, any>} */ live: new Map(),
  /** @type {Map<string, any>} */ ended: new Map(),
  /** @type {any} */ manager: null,
  /** @type {any} */ scheduler: null,
  /** @type {string | null} */ selected: null,
  /** @type {import('./event-stream.js').StreamState} */ stream: 'connecting',
  /** Ended jobs the manager counted when the history was last walked (-1: never). */
  endedSeen: -1,
  historyAt: 0,
  /** Pages the last walk read: one page is cheap enough to read on every change. */
  historyPages: 0,
};

/** @type {{ close(): void } | null} */
let events = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let pollTimer;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let soonTimer;
let refreshing = false;
let again = false;

const detail = new JobDetail({
  api,
  root: byId('job-detail'),
  onChange: () => refreshSoon(),
  onError: (e) => showError(e),
});

/** @param {unknown} err */
function showError(err) {
  const e = /** @type {{ status?: number, code?: string, message?: string }} */ (err);
  if (e.status === 401) {
    signOut('The token was refused; enter it again.');
    return;
  }
  const bar = byId('status');
  bar.textContent = e.code ? `${e.code}: ${e.message ?? ''}` : String(e.message ?? err);
  bar.className = 'status error';
}

/** @param {string} text */
function showStatus(text) {
  const bar = byId('status');
  bar.textContent = text;
  bar.className = 'status';
}

/**
 * Ended jobs from the history pages (the API lists oldest first, so at most {@link HISTORY_PAGES}
 * pages are walked and the newest {@link MAX_ENDED} kept). Walked on the first load and again when
 * the manager counts more ended jobs than before (a job can start and end between two polls),
 * at most every {@link HISTORY_EVERY_MS} when the history is longer than one page.
 */
async function loadHistory() {
  /** @type {string | null} */
  let cursor = null;
  for (let page = 0; page < HISTORY_PAGES; page++) {
    /** @type {any} */
    const res = await api.get(
      `/api/v1/jobs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const j of res.items) if (!LIVE_STATES.includes(j.state)) keepEnded(j);
    cursor = res.nextCursor;
    state.historyPages = page + 1;
    if (!cursor) break;
  }
  state.historyAt = Date.now();
}

/**
 * Ended jobs the manager counts.
 * @param {any} manager
 */
function endedTotal(manager) {
  const byState = manager?.jobs ?? {};
  return ENDED_STATES.reduce((n, s) => n + (byState[s] ?? 0), 0);
}

/** @param {any} job */
function keepEnded(job) {
  state.ended.set(job.name, job);
  if (state.ended.size <= MAX_ENDED) return;
  const newest = [...state.ended.values()]
    .sort(
      (a, b) =>
        Date.parse(b.finishedAt ?? b.submittedAt ?? 0) - Date.parse(a.finishedAt ?? a.submittedAt ?? 0),
    )
    .slice(0, MAX_ENDED);
  state.ended = new Map(newest.map((j) => [j.name, j]));
}

/** Reads workers, jobs, scheduler and manager, then redraws. Calls during a read coalesce. */
async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const [workers, manager, scheduler, ...pages] = await Promise.all([
      api.get('/api/v1/workers'),
      api.get('/api/v1/manager'),
      api.get('/api/v1/scheduler'),
      ...LIVE_STATES.map((s) => api.get(`/api/v1/jobs?status=${s}&limit=1000`)),
    ]);
    const ended = endedTotal(manager);
    const due = state.historyPages <= 1 || Date.now() - state.historyAt >= HISTORY_EVERY_MS;
    if (state.endedSeen === -1 || (ended !== state.endedSeen && due)) {
      await loadHistory();
      state.endedSeen = ended;
    }
    const live = new Map(pages.flatMap((p) => p.items).map((j) => [j.name, j]));
    // A job that left the live states ended: read it once to keep its final state on the page.
    const gone = [...state.live.keys()].filter((n) => !live.has(n));
    const endedNow = await Promise.all(
      gone.map((n) => api.get(`/api/v1/jobs/${encodeURIComponent(n)}`).catch(() => null)),
    );
    for (const j of endedNow) if (j && !LIVE_STATES.includes(j.state)) keepEnded(j);
    Object.assign(state, { workers, manager, scheduler, live });
    draw();
    await detail.refresh();
    showStatus(`Updated ${new Date().toLocaleTimeString()}`);
  } catch (err) {
    showError(err);
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      refreshSoon();
    }
  }
}

function draw() {
  const jobs = [...state.live.values(), ...state.ended.values()];
  renderSummary(byId('summary'), state);
  renderCores(byId('cores'), byId('legend'), state.workers, jobs, select);
  renderWorkers(byId('workers-body'), state.workers, { drain, undrain });
  renderJobs(byId('jobs-body'), jobs, state.selected, select, Date.now());
  renderStrategy();
}

function renderStrategy() {
  const select = /** @type {HTMLSelectElement} */ (byId('strategy'));
  const s = state.scheduler;
  if (!s || document.activeElement === select) return;
  select.replaceChildren(
    ...s.available.map((/** @type {string} */ name) => {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = name;
      o.selected = name === s.strategy;
      return o;
    }),
  );
  select.disabled = false;
}

/** A refresh shortly (events come in bursts: one read for the burst). */
function refreshSoon(delayMs = 200) {
  clearTimeout(soonTimer);
  soonTimer = setTimeout(() => void refresh(), delayMs);
}

function poll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(
    () => {
      void refresh().finally(poll);
    },
    state.stream === 'live' ? POLL_MS.live : POLL_MS.other,
  );
}

/** @param {string} name */
function select(name) {
  state.selected = name;
  detail.show(name);
  draw();
}

/** @param {string} id */
async function drain(id) {
  try {
    await api.send('POST', `/api/v1/workers/${encodeURIComponent(id)}/drain`);
    showStatus(`${id} is draining`);
  } catch (err) {
    showError(err);
  }
  await refresh();
}

/** @param {string} id */
async function undrain(id) {
  try {
    await api.send('POST', `/api/v1/workers/${encodeURIComponent(id)}/undrain`);
    showStatus(`${id} is ready again`);
  } catch (err) {
    showError(err);
  }
  await refresh();
}

/** @param {Event} ev */
async function changeStrategy(ev) {
  const select = /** @type {HTMLSelectElement} */ (ev.target);
  try {
    state.scheduler = await api.send('PUT', '/api/v1/scheduler', { strategy: select.value });
    showStatus(`Strategy is now ${select.value}`);
  } catch (err) {
    showError(err);
  }
  select.blur();
  await refresh();
}

/** @param {import('./event-stream.js').SseMessage} message */
function onEvent(message) {
  /** @type {any} */
  let e;
  try {
    e = JSON.parse(message.data);
  } catch {
    return;
  }
  if (e.job && ENDED_KINDS.includes(e.kind))
    void api
      .get(`/api/v1/jobs/${encodeURIComponent(e.job)}`)
      .then((j) => {
        if (!LIVE_STATES.includes(j.state)) keepEnded(j);
      })
      .catch(() => {});
  const feed = byId('feed');
  feed.prepend(eventItem(e));
  while (feed.childElementCount > MAX_FEED) feed.lastElementChild?.remove();
  refreshSoon();
}

/**
 * @param {import('./event-stream.js').StreamState} s
 * @param {string} [why]
 */
function onStreamState(s, why) {
  const was = state.stream;
  state.stream = s;
  const label = byId('live');
  label.dataset['state'] = s;
  label.textContent = s === 'live' ? 'live' : s === 'unavailable' ? 'polling' : s;
  label.title =
    s === 'live'
      ? 'Updates arrive over the event stream'
      : `Refreshing every ${POLL_MS.other / 1000} s${why ? ` (${why})` : ''}`;
  if (s !== was) poll();
}

function start() {
  byId('login').hidden = true;
  byId('main').hidden = false;
  byId('sign-out').hidden = false;
  events?.close();
  events = openEventStream({
    api,
    path: '/api/v1/events?backlog=50',
    onEvent,
    onState: onStreamState,
    onUnauthorized: () => signOut('The token was refused; enter it again.'),
  });
  void refresh().finally(poll);
}

/** @param {string} [why] */
function signOut(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  events?.close();
  events = null;
  detail.close();
  clearTimeout(pollTimer);
  clearTimeout(soonTimer);
  byId('main').hidden = true;
  byId('sign-out').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = why ?? '';
  /** @type {HTMLInputElement} */ (byId('token')).focus();
}

/** @param {SubmitEvent} ev */
async function signIn(ev) {
  ev.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('token'));
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  try {
    await api.get('/api/v1/manager');
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    const e = /** @type {{ status?: number, message?: string }} */ (err);
    byId('login-error').textContent =
      e.status === 401 ? 'That token is not valid.' : `The API did not answer: ${e.message ?? String(err)}`;
    return;
  }
  input.value = '';
  start();
}

byId('login').addEventListener('submit', (ev) => void signIn(/** @type {SubmitEvent} */ (ev)));
byId('sign-out').addEventListener('click', () => signOut());
byId('strategy').addEventListener('change', (ev) => void changeStrategy(ev));
byId('close-detail').addEventListener('click', () => {
  state.selected = null;
  detail.close();
  draw();
});

if (sessionStorage.getItem(TOKEN_KEY)) start();
else signOut();

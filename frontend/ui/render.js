// @ts-check
/**
 * @module The dashboard's views: each function rebuilds one part of the page from API data.
 * Text goes in through `textContent` only (job and worker names are user input), never as HTML.
 */
import {
  bookingsByCore,
  formatBytes,
  formatDuration,
  jobColour,
  parseCpuset,
  sortJobs,
  waitOf,
} from './format.js';

/**
 * An element with attributes (`class`, `data-*`, `title`, …; functions become listeners) and
 * children (strings become text).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), /** @type {EventListener} */ (v));
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

/**
 * @param {string} state
 * @returns {HTMLElement}
 */
export function badge(state) {
  return h('span', { class: `badge state-${state}`, 'data-state': state }, state);
}

/**
 * Cluster totals: booked cores and memory on schedulable workers, jobs and workers by state.
 * @param {HTMLElement} el
 * @param {{ workers: any[], manager: any | null, scheduler: any | null }} data
 */
export function renderSummary(el, { workers, manager, scheduler }) {
  const up = workers.filter((w) => w.state === 'ready' || w.state === 'draining');
  const cores = up.reduce((n, w) => n + w.totalCores, 0);
  const freeCores = up.reduce((n, w) => n + w.freeCores.length, 0);
  const mem = up.reduce((n, w) => n + w.totalMemoryBytes, 0);
  const freeMem = up.reduce((n, w) => n + w.freeMemoryBytes, 0);
  const pct = (/** @type {number} */ used, /** @type {number} */ total) =>
    total === 0 ? 0 : Math.round((100 * used) / total);
  const meter = (/** @type {string} */ label, /** @type {number} */ p, /** @type {string} */ text) =>
    h(
      'div',
      { class: 'card', 'data-metric': label },
      h('div', { class: 'card-label' }, label),
      h('div', { class: 'card-value' }, `${p}%`),
      h('div', { class: 'meter' }, h('div', { class: 'meter-fill', style: { width: `${p}%` } })),
      h('div', { class: 'card-sub' }, text),
    );
  const counts = (/** @type {string} */ label, /** @type {Record<string, number>} */ byState) =>
    h(
      'div',
      { class: 'card', 'data-metric': label },
      h('div', { class: 'card-label' }, label),
      h(
        'div',
        { class: 'counts' },
        ...Object.entries(byState)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => h('span', { class: `count state-${s}` }, `${n} ${s}`)),
      ),
    );
  el.replaceChildren(
    meter('cores booked', pct(cores - freeCores, cores), `${cores - freeCores} of ${cores} cores`),
    meter('memory booked', pct(mem - freeMem, mem), `${formatBytes(mem - freeMem)} of ${formatBytes(mem)}`),
    counts('jobs', manager?.jobs ?? {}),
    counts('workers', manager?.workers ?? {}),
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'card-label' }, 'queue'),
      h('div', { class: 'card-value', 'data-metric': 'queue' }, String(manager?.queueDepth ?? '—')),
      h('div', { class: 'card-sub' }, `strategy ${scheduler?.strategy ?? manager?.strategy ?? '—'}`),
    ),
  );
}

/**
 * Workers × cores: one row per worker, one cell per core, coloured by the job booking it; the
 * legend lists those jobs. Clicking a booked core opens its job.
 * @param {HTMLElement} grid
 * @param {HTMLElement} legend
 * @param {any[]} workers
 * @param {any[]} jobs
 * @param {(job: string) => void} onSelectJob
 */
export function renderCores(grid, legend, workers, jobs, onSelectJob) {
  const byCore = bookingsByCore(jobs);
  /** @type {Set<string>} */
  const shown = new Set();
  const rows = workers.map((w) => {
    const free = new Set(w.freeCores);
    const ids = w.coreIds ?? [...Array(w.totalCores).keys()];
    const cells = ids.map((/** @type {number} */ core) => {
      const booking = byCore.get(`${w.id}/${core}`);
      if (free.has(core)) return h('span', { class: 'core free', title: `${w.id} core ${core}: free` }, core);
      if (booking) shown.add(booking.job);
      return h(
        'button',
        {
          type: 'button',
          class: 'core booked',
          'data-core': core,
          'data-job': booking?.job,
          title: booking
            ? `${w.id} core ${core}: ${booking.job} / ${booking.task}`
            : `${w.id} core ${core}: booked`,
          style: booking ? { background: jobColour(booking.job) } : undefined,
          onclick: booking ? () => onSelectJob(booking.job) : undefined,
        },
        core,
      );
    });
    const usedMem = w.totalMemoryBytes - w.freeMemoryBytes;
    const memPct = w.totalMemoryBytes ? Math.round((100 * usedMem) / w.totalMemoryBytes) : 0;
    return h(
      'div',
      { class: `core-row worker-${w.state}`, 'data-worker': w.id },
      h('span', { class: 'core-row-label' }, w.id, ' ', badge(w.state)),
      h('span', { class: 'cores' }, ...cells),
      h(
        'span',
        {
          class: 'core-row-mem',
          title: `memory ${formatBytes(usedMem)} of ${formatBytes(w.totalMemoryBytes)}`,
        },
        h('span', { class: 'meter' }, h('span', { class: 'meter-fill', style: { width: `${memPct}%` } })),
        `${memPct}% mem`,
      ),
    );
  });
  grid.replaceChildren(...(rows.length ? rows : [h('p', { class: 'empty' }, 'No worker has joined yet.')]));
  legend.replaceChildren(
    ...[...shown]
      .sort()
      .map((job) =>
        h(
          'button',
          { type: 'button', class: 'legend-item', 'data-job': job, onclick: () => onSelectJob(job) },
          h('span', { class: 'swatch', style: { background: jobColour(job) } }),
          job,
        ),
      ),
  );
}

/**
 * The workers table, with drain / undrain per worker.
 * @param {HTMLElement} body the table's tbody
 * @param {any[]} workers
 * @param {{ drain(id: string): void, undrain(id: string): void }} actions
 */
export function renderWorkers(body, workers, actions) {
  body.replaceChildren(
    ...workers.map((w) => {
      const draining = w.state === 'draining';
      const action =
        w.state === 'ready' || draining
          ? h(
              'button',
              {
                type: 'button',
                'data-action': draining ? 'undrain' : 'drain',
                onclick: () => (draining ? actions.undrain(w.id) : actions.drain(w.id)),
              },
              draining ? 'Undrain' : 'Drain',
            )
          : null;
      return h(
        'tr',
        { 'data-worker': w.id },
        h('td', {}, w.id),
        h('td', {}, badge(w.state)),
        h('td', {}, w.runtime ?? ''),
        h('td', { class: 'num' }, `${w.totalCores - w.freeCores.length} / ${w.totalCores}`),
        h(
          'td',
          { class: 'num' },
          `${formatBytes(w.totalMemoryBytes - w.freeMemoryBytes)} / ${formatBytes(w.totalMemoryBytes)}`,
        ),
        h('td', { class: 'num' }, String((w.tasks ?? []).length)),
        h('td', { class: 'num' }, w.rtt ? `${w.rtt.ewmaMs.toFixed(1)} ms` : '—'),
        h('td', {}, action),
      );
    }),
  );
}

/**
 * The jobs table: state, tasks, cores, wait and why a waiting job is not placed.
 * @param {HTMLElement} body the table's tbody
 * @param {any[]} jobs
 * @param {string | null} selected
 * @param {(job: string) => void} onSelect
 * @param {number} now
 */
export function renderJobs(body, jobs, selected, onSelect, now) {
  const rows = sortJobs(jobs).map((j) => {
    const wait = waitOf(j, now);
    const cores = j.tasks.reduce((/** @type {number} */ n, /** @type {any} */ t) => n + t.cores, 0);
    return h(
      'tr',
      {
        'data-job': j.name,
        class: j.name === selected ? 'selected' : undefined,
        onclick: () => onSelect(j.name),
      },
      h('td', {}, h('span', { class: 'swatch', style: { background: jobColour(j.name) } }), j.name),
      h('td', {}, badge(j.state)),
      h('td', { class: 'num' }, String(j.tasks.length)),
      h('td', { class: 'num' }, String(cores)),
      h('td', { class: 'num' }, wait === null ? '—' : formatDuration(wait)),
      h('td', { class: 'reason' }, j.unplacedReason ?? j.failureReason ?? ''),
    );
  });
  body.replaceChildren(
    ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No jobs yet.'))]),
  );
}

/**
 * A job's header, reasons and tasks with their placements.
 * @param {HTMLElement} el
 * @param {any} job
 * @param {{ cancel(name: string): void }} actions
 */
export function renderJobDetail(el, job, actions) {
  const times = ['submittedAt', 'scheduledAt', 'startedAt', 'finishedAt']
    .filter((k) => job[k])
    .map((k) =>
      h('span', { class: 'time' }, `${k.replace(/At$/, '')} ${new Date(job[k]).toLocaleTimeString()}`),
    );
  const live = ['waiting', 'scheduled', 'running'].includes(job.state);
  // Through h(): it skips the parts a job does not have (null).
  el.replaceChildren(
    h(
      'div',
      {},
      h(
        'div',
        { class: 'detail-head' },
        h(
          'h2',
          {},
          h('span', { class: 'swatch', style: { background: jobColour(job.name) } }),
          job.name,
          ' ',
          badge(job.state),
        ),
        live
          ? h(
              'button',
              { type: 'button', 'data-action': 'cancel', onclick: () => actions.cancel(job.name) },
              'Cancel job',
            )
          : null,
      ),
      h(
        'p',
        { class: 'times' },
        ...times,
        job.priority ? h('span', { class: 'time' }, `priority ${job.priority}`) : null,
      ),
      job.unplacedReason
        ? h(
            'p',
            { class: 'reason unplaced', 'data-field': 'unplacedReason' },
            `Not placed: ${job.unplacedReason}`,
          )
        : null,
      job.failureReason
        ? h(
            'p',
            { class: 'reason failed', 'data-field': 'failureReason' },
            `Failed${job.failureCode ? ` (${job.failureCode})` : ''}: ${job.failureReason}`,
          )
        : null,
      h(
        'table',
        { class: 'tasks' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['task', 'state', 'image', 'worker', 'cpuset', 'cores', 'memory', 'exit', 'reason'].map((c) =>
              h('th', {}, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...job.tasks.map((/** @type {any} */ t) =>
            h(
              'tr',
              { 'data-task': t.name },
              h('td', {}, t.name),
              h('td', {}, badge(t.state)),
              h('td', { class: 'image', title: t.imageDigest ?? t.image ?? '' }, t.image ?? ''),
              h('td', {}, t.worker ?? '—'),
              h('td', { title: String(parseCpuset(t.cpuset).length) + ' cores' }, t.cpuset ?? '—'),
              h('td', { class: 'num' }, String(t.cores)),
              h('td', { class: 'num' }, formatBytes(t.memoryBytes)),
              h('td', { class: 'num' }, t.exitCode ?? '—'),
              h('td', { class: 'reason' }, t.reason ?? ''),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * One event as a list item: time, kind, task / worker, detail.
 * @param {any} e a ClusterEvent
 * @returns {HTMLElement}
 */
export function eventItem(e) {
  return h(
    'li',
    { 'data-kind': e.kind },
    h('time', {}, new Date(e.at).toLocaleTimeString()),
    h('span', { class: 'kind' }, e.kind),
    e.job ? h('span', { class: 'who' }, e.job) : null,
    e.task ? h('span', { class: 'who' }, e.task) : null,
    e.worker ? h('span', { class: 'who' }, `@${e.worker}`) : null,
    e.detail ? h('span', { class: 'detail' }, e.detail) : null,
  );
}

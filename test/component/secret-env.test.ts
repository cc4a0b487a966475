/**
 * @module Environment values are secrets (issue 11, item 5): the FrontEnd in front of a real
 * leader shows a job's variable names with `***` for values — live jobs and ended ones, one job
 * and the list, native and original format — events never hold them, and the logs redact them
 * even inside an error that carries a job record (a database write error holds its document).
 * The leader keeps the values: the worker's assignment is built from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationStream } from 'pino';
import { systemClock } from '../../core/clock/clock.js';
import { assignmentOf } from '../../core/control/task-assignment.js';
import {
  LocalControlLink,
  StoreProjection,
  leaderBackedStores,
  type ControlCommand,
} from '../../core/control-state/index.js';
import { createMemoryDurableState } from '../../core/durable/index.js';
import { createLogger } from '../../core/log/logger.js';
import { createMemoryStores } from '../../core/store/index.js';
import { RecordingLinks } from '../../core/transport/index.js';
import { createApp } from '../../frontend/create-app.js';
import { controlPlaneHandlers } from '../../frontend/control-plane-handlers.js';
import { ControlLeader } from '../../job-manager/control-leader.js';
import { listen } from '../support/http-harness.js';
import { sampleJob, TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'secret-env-token';
const SECRETS = ['native-s3cr3t-value', 'original-s3cr3t-value', 'listed-s3cr3t-value'];

test('env values never leave through the API, the events or the logs; the leader keeps them', async () => {
  const lines: string[] = [];
  const capture: DestinationStream = { write: (s: string) => void lines.push(s) };
  const logger = createLogger('debug', capture);
  const stores = createMemoryStores();
  // The first history write fails the way MongoDB's does: the error carries the documents.
  let failNext = true;
  const insertMany = stores.jobs.insertMany.bind(stores.jobs);
  stores.jobs.insertMany = (records) => {
    if (!failNext) return insertMany(records);
    failNext = false;
    const err = Object.assign(new Error('E11000 duplicate key error collection: rswarm.jobs'), {
      code: 11000,
      writeErrors: records.map((op, index) => ({ index, code: 11000, op })),
    });
    return Promise.reject(err);
  };
  const durable = createMemoryDurableState();
  const leader = new ControlLeader(
    { id: 'jm', defaultStrategy: 'best-fit', agingPerSecond: 0 },
    {
      log: durable.log<ControlCommand>(),
      snapshots: durable.snapshots,
      dispatch: new RecordingLinks(),
      records: new StoreProjection(stores),
      clock: systemClock,
      logger: logger.child({ component: 'job-manager' }),
    },
  );
  await leader.lead(1);
  const control = new LocalControlLink(leader);
  const app = createApp({
    token: TOKEN,
    jobRules: TEST_RULES,
    logger: logger.child({ component: 'frontend' }),
    handlers: controlPlaneHandlers({
      stores: leaderBackedStores(stores, control),
      control,
      clock: systemClock,
      defaultStrategy: 'best-fit',
      components: () => Promise.resolve([]),
      startedAt: Date.now(),
    }),
  });
  const http = await listen(app);
  const noSecret = (where: string, text: string): void => {
    for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows a secret: ${text.slice(0, 400)}`);
  };
  try {
    const native = {
      name: 'native-env',
      tasks: [{ name: 't', image: 'busybox', cores: 1, memory: '64m', env: { DB_PASSWORD: SECRETS[0] } }],
    };
    assert.equal((await http.request('POST', '/api/v1/jobs', { token: TOKEN, body: native })).status, 202);
    const original = sampleJob();
    const tasks = original['job_info']['tasks'] as Record<string, Record<string, unknown>>;
    const [first, second] = Object.values(tasks);
    (first as Record<string, unknown>)['environment'] = { API_KEY: SECRETS[1] };
    (second as Record<string, unknown>)['environment'] = [`TOKEN=${SECRETS[2]}`];
    const compat = await http.request('POST', '/RESTfulSwarm/FE/request_new_job', {
      token: TOKEN,
      body: original,
    });
    assert.equal(compat.status, 200, compat.text);
    const originalName = original['job_name'] as string;

    // Live jobs (read from the leader), one and the list.
    const live = await http.request('GET', '/api/v1/jobs/native-env', { token: TOKEN });
    assert.equal(live.status, 200, live.text);
    assert.deepEqual(live.body.tasks[0].env, { DB_PASSWORD: '***' });
    noSecret('GET job (live)', live.text);
    const liveOriginal = await http.request('GET', `/api/v1/jobs/${originalName}`, { token: TOKEN });
    assert.deepEqual(
      liveOriginal.body.tasks.map((t: { env: unknown }) => t.env),
      [{ API_KEY: '***' }, { TOKEN: '***' }],
    );
    noSecret('GET original-format job', liveOriginal.text);
    const list = await http.request('GET', '/api/v1/jobs', { token: TOKEN });
    assert.equal(list.body.items.length, 2);
    noSecret('GET job list', list.text);
    assert.ok(list.text.includes('DB_PASSWORD'), 'names are shown');

    // The leader keeps the values: the worker's assignment carries them.
    const kept = leader.view()?.job('native-env');
    assert.ok(kept);
    const assignment = assignmentOf(kept, {
      ...(kept.tasks[0] as NonNullable<(typeof kept.tasks)[0]>),
      workerId: 'w1',
    });
    assert.equal(JSON.stringify(assignment).includes(SECRETS[0] as string), true);

    // Ended jobs (history): the first history write fails and is logged with its documents.
    const cancelled = await http.request('DELETE', '/api/v1/jobs/native-env', { token: TOKEN });
    assert.equal(cancelled.status, 202, cancelled.text);
    noSecret('DELETE job', cancelled.text);
    assert.equal(
      (await http.request('DELETE', `/api/v1/jobs/${originalName}`, { token: TOKEN })).status,
      202,
    );
    const ended = await http.request('GET', '/api/v1/jobs/native-env', { token: TOKEN });
    assert.equal(ended.body.state, 'cancelled');
    assert.deepEqual(ended.body.tasks[0].env, { DB_PASSWORD: '***' });
    noSecret('GET ended job', ended.text);
    noSecret('GET list of ended jobs', (await http.request('GET', '/api/v1/jobs', { token: TOKEN })).text);

    const events = await stores.events.list({}, 1000);
    assert.ok(events.length > 0);
    noSecret('events', JSON.stringify(events));

    const log = lines.join('');
    assert.match(log, /writing records failed/, 'the failed write was logged');
    assert.match(log, /DB_PASSWORD/, 'the logged error still names the variable');
    noSecret('logs', log);
  } finally {
    await http.close();
    await leader.close();
  }
});

/**
 * @module A 202 only once the job is durable: the FrontEnd in front of a real leader whose control
 * log fails. While the log refuses writes the submission answers 503 with Retry-After (never a
 * 500) and the leader steps down; once a leader leads again on the same log, the job that got a
 * 503 is absent (it was not kept) and the same submission is accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../core/clock/clock.js';
import { LocalControlLink, StoreProjection, type ControlCommand } from '../../core/control-state/index.js';
import { createMemoryDurableState, type ControlLog } from '../../core/durable/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { createMemoryStores } from '../../core/store/index.js';
import { RecordingLinks } from '../../core/transport/index.js';
import { createApp } from '../../frontend/create-app.js';
import { controlPlaneHandlers } from '../../frontend/control-plane-handlers.js';
import { ControlLeader } from '../../job-manager/control-leader.js';
import { listen } from '../support/http-harness.js';
import { TEST_RULES } from '../support/sample-job.js';

const TOKEN = 'durability-token';

test('a submission the log cannot keep answers 503 with Retry-After; the job is not kept', async () => {
  const stores = createMemoryStores();
  const durable = createMemoryDurableState();
  let failing = false;
  const real = durable.log<ControlCommand>();
  // The log as the leader sees it: appends fail while `failing` (a database outage).
  const log: ControlLog<ControlCommand> = new Proxy(real, {
    get(target, prop) {
      if (prop === 'append' && failing) return () => Promise.reject(new Error('connection refused'));
      // The target as receiver: its getters read private fields.
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const leader = new ControlLeader(
    { id: 'jm', defaultStrategy: 'best-fit', agingPerSecond: 0 },
    {
      log,
      snapshots: durable.snapshots,
      dispatch: new RecordingLinks(),
      records: new StoreProjection(stores),
      clock: systemClock,
      logger: silentLogger(),
    },
  );
  await leader.lead(1);
  const control = new LocalControlLink(leader);
  const app = createApp({
    token: TOKEN,
    jobRules: TEST_RULES,
    logger: silentLogger(),
    handlers: controlPlaneHandlers({
      stores,
      control,
      clock: systemClock,
      defaultStrategy: 'best-fit',
      components: () => Promise.resolve([]),
      startedAt: Date.now(),
    }),
  });
  const http = await listen(app);
  const body = { name: 'kept-or-not', tasks: [{ name: 't', image: 'busybox', cores: 1, memory: '64m' }] };
  try {
    const ok = await http.request('POST', '/api/v1/jobs', {
      token: TOKEN,
      body: { ...body, name: 'before' },
    });
    assert.equal(ok.status, 202);
    failing = true;
    const refused = await http.request('POST', '/api/v1/jobs', { token: TOKEN, body });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error.code, 'STORE_UNAVAILABLE');
    const again = await http.request('POST', '/api/v1/jobs', { token: TOKEN, body });
    assert.equal(again.status, 503, 'a leader that stepped down refuses too');
    assert.equal(leader.getState(), 'standby');
    const retryAfter = await fetch(`${http.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(retryAfter.status, 503);
    assert.equal(retryAfter.headers.get('retry-after'), '1');
    await retryAfter.arrayBuffer();

    failing = false;
    await leader.lead(2);
    assert.equal(leader.view()?.job('kept-or-not'), undefined, 'the refused job was not kept');
    assert.equal(leader.view()?.job('before')?.state, 'waiting', 'the accepted one was');
    const later = await http.request('POST', '/api/v1/jobs', { token: TOKEN, body });
    assert.equal(later.status, 202, later.text);
  } finally {
    await http.close();
    await leader.close();
  }
});

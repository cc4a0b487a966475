/**
 * @module Real-time stress runner against an in-process cluster (memory backends, simulated
 * workers): every job's times are ordered, the result is complete, samples are recorded, and
 * refused submissions are recorded with the server's code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor } from '../support/control-plane-harness.js';
import { arrivalTimes, resolveShape, resolveTiming } from '../../stress-client/load-shapes/index.js';
import { generateWorkload } from '../../stress-client/generator/index.js';
import {
  createHttpStressApi,
  lineProgress,
  runRealTime,
  waitForDrain,
} from '../../stress-client/real-time/index.js';

function workload(seed: number) {
  const shape = resolveShape({ kind: 'steady', jobsPerTurn: 3 });
  const timing = resolveTiming({ turns: 3, intervalSeconds: 0.3 });
  return generateWorkload({
    kind: 'steady',
    params: { shape, timing },
    arrivalsMs: arrivalTimes(shape, timing, seed).arrivalsMs,
    seed,
    generator: { tasksPerJob: { min: 1, max: 2 }, cores: [1, 2], memory: '64m', runSeconds: 0.3 },
  });
}

test('runRealTime: complete, ordered times; worker and cluster samples; rejections carry the server code', async () => {
  const c = await startCluster({
    workers: [
      { workerId: 'stress-a', coreIds: [0, 1, 2, 3] },
      { workerId: 'stress-b', coreIds: [0, 1, 2, 3] },
    ],
  });
  const api = createHttpStressApi(c.url, c.token, 8);
  try {
    await waitFor('workers', async () =>
      (await c.plane.stores.workers.list()).length === 2 ? true : undefined,
    );
    const w = workload(11);
    const lines: string[] = [];
    const progress = lineProgress(
      { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream,
      '[stress]',
      0,
    );
    const r = await runRealTime(w, {
      api,
      concurrency: 4,
      strategy: 'first-fit',
      sampleEveryMs: 100,
      pollEveryMs: 100,
      timeoutMs: 30_000,
      progress,
    });
    assert.equal(r.mode, 'real-time');
    assert.equal(r.strategy, 'first-fit');
    assert.deepEqual(r.source, w.source);
    assert.equal(r.jobs.length, w.jobs.length);
    assert.deepEqual(
      r.jobs.map((j) => j.name),
      w.jobs.map((j) => j.name),
    );
    for (const [i, j] of r.jobs.entries()) {
      assert.equal(j.state, 'finished', `${j.name}: ${j.state} ${j.unplacedReason}`);
      assert.equal(j.tasks, w.jobs[i]!.tasks.length);
      const [sub, sch, sta, fin] = [j.submittedMs, j.scheduledMs!, j.startedMs!, j.finishedMs!];
      assert.ok(sub >= 0 && sub <= sch && sch <= sta && sta <= fin, `${j.name}: ${sub} ${sch} ${sta} ${fin}`);
      assert.ok(sub >= w.jobs[i]!.arrivalMs - 5, `${j.name} submitted before its arrival`);
    }
    assert.deepEqual(r.fleet.map((f) => f.id).sort(), ['stress-a', 'stress-b']);
    assert.ok(
      r.workers.some((s) => s.usedCores > 0),
      'some worker sample shows use',
    );
    assert.ok(r.workers.every((s) => s.usedCores >= 0 && s.usedCores <= 4));
    const tasks = w.jobs.reduce((a, j) => a + j.tasks.length, 0);
    assert.equal(
      r.cluster.reduce((a, s) => a + s.placements, 0),
      tasks,
    );
    assert.ok(r.cluster.every((s) => s.totalCores === 8));
    assert.ok(r.durationMs >= Math.max(...r.jobs.map((j) => j.finishedMs!)));
    assert.ok(
      lines.some((l) => /submitted 9\/9/.test(l)),
      lines.join(''),
    );

    await waitForDrain(api, 10_000, 50);
    // The same names again: every submission is refused and recorded with JOB_EXISTS.
    const again = await runRealTime(w, {
      api,
      concurrency: 4,
      sampleEveryMs: 100,
      pollEveryMs: 100,
      timeoutMs: 5000,
    });
    assert.equal(again.jobs.length, w.jobs.length);
    for (const j of again.jobs) {
      assert.equal(j.state, 'rejected');
      assert.match(j.unplacedReason ?? '', /^JOB_EXISTS: /);
    }
    assert.equal(again.config['rejected'], w.jobs.length);
    // With a run suffix the same workload goes through again.
    const suffixed = await runRealTime(w, {
      api,
      nameSuffix: 'r2',
      sampleEveryMs: 100,
      pollEveryMs: 100,
      timeoutMs: 30_000,
    });
    assert.ok(suffixed.jobs.every((j) => j.state === 'finished'));
    const consistency = await c.api('GET', '/api/v1/manager/consistency');
    assert.equal(consistency.body.ok, true, consistency.text);
  } finally {
    api.close();
    await c.close();
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock/fake-clock.js';
import {
  RecordingSink,
  StoreProjection,
  commandsOf,
  type ControlIntent,
  type LoggedCommands,
  type RecordBatch,
  type RecordSink,
} from '../../core/control-state/index.js';
import { createMemoryDurableState } from '../../core/durable/memory-durable-state.js';
import type { DurableState } from '../../core/durable/durable-state.js';
import { AppError } from '../../core/errors/index.js';
import { silentLogger } from '../../core/log/logger.js';
import { RecordingLinks } from '../../core/transport/index.js';
import { createMemoryStores } from '../../core/store/index.js';
import { ControlLeader } from '../../job-manager/control-leader.js';
import { jobSpec } from '../support/control-state-fixtures.js';

function join(id: string, cores: number): ControlIntent {
  return {
    kind: 'worker-joined',
    worker: {
      id,
      runtime: 'simulated',
      coreIds: Array.from({ length: cores }, (_, i) => i),
      totalMemoryBytes: 64 * 1024 ** 3,
    },
  };
}

function leaderOn(durable: DurableState, id: string, snapshotEveryEntries = 5000, sink?: RecordSink) {
  const links = new RecordingLinks();
  const records = new RecordingSink();
  const leader = new ControlLeader(
    { id, defaultStrategy: 'best-fit', agingPerSecond: 0, snapshotEveryEntries },
    {
      log: durable.log<LoggedCommands>(),
      snapshots: durable.snapshots,
      dispatch: links,
      records: sink ?? records,
      clock: new FakeClock(1_000),
      logger: silentLogger(),
    },
  );
  return { leader, links, records };
}

/** A sink whose writes wait until `release()`: records of a cycle still being written. */
class HeldSink implements RecordSink {
  readonly written: RecordBatch[] = [];
  private waiting: (() => void)[] = [];
  write(batch: RecordBatch): Promise<void> {
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.written.push(batch);
        resolve();
      }),
    );
  }
  writtenThrough(): Promise<number> {
    return Promise.resolve(0);
  }
  heldCount(): number {
    return this.waiting.length;
  }
  release(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  }
}

async function logEntries(durable: DurableState): Promise<LoggedCommands[]> {
  const out: LoggedCommands[] = [];
  for await (const r of durable.log<LoggedCommands>().readAfter(0))
    if (r.kind === 'entry') out.push(r.payload);
  return out;
}

/** Worker w1's report that task t0 of `job` (attempt 0) reached `state` at `at`. */
function reportOf(job: string, idPrefix: string, state: 'running' | 'finished', at: number) {
  return {
    type: 'report' as const,
    v: 1 as const,
    id: `${idPrefix}-${state}`,
    job,
    task: 't0',
    attempt: 0,
    workerId: 'w1',
    state,
    exitCode: state === 'finished' ? 0 : null,
    reason: null,
    at,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

const assigned = (links: RecordingLinks): number => links.dispatched.reduce((n, d) => n + d.assign.length, 0);

describe('ControlLeader', () => {
  it('pipelines: the next cycle applies and appends while the previous one writes its records; answers follow their records, in order', async () => {
    const durable = createMemoryDurableState();
    const sink = new HeldSink();
    const { leader } = leaderOn(durable, 'jm-a', 5000, sink);
    const leading = leader.lead(1);
    await tick();
    sink.release(); // the takeover's own records
    await leading;
    const answered: string[] = [];
    const a = leader.propose({ kind: 'submit', spec: jobSpec('a', [1]) }).then(() => answered.push('a'));
    for (let i = 0; i < 5 && sink.heldCount() === 0; i++) await tick();
    assert.equal(sink.heldCount(), 1, 'cycle 1 is durable and writes its records');
    const b = leader.propose({ kind: 'submit', spec: jobSpec('b', [1]) }).then(() => answered.push('b'));
    for (let i = 0; i < 5 && (await logEntries(durable)).length < 2; i++) await tick();
    const entries = await logEntries(durable);
    assert.equal(entries.length, 2, 'cycle 2 was appended while cycle 1 still wrote its records');
    assert.deepEqual(
      entries.map((e) => commandsOf(e).map((c) => c.kind)),
      [
        ['submit', 'place'],
        ['submit', 'place'],
      ],
      "one log entry per cycle, its commands in order (a round's misses are a place command)",
    );
    assert.deepEqual(answered, [], 'no answer before its records are written');
    sink.release();
    for (let i = 0; i < 5 && sink.heldCount() === 0; i++) await tick();
    sink.release();
    await Promise.all([a, b]);
    assert.deepEqual(answered, ['a', 'b']);
    assert.deepEqual(
      [...new Set(sink.written.flatMap((w) => w.events.map((e) => e.job)))],
      ['a', 'b'],
      'records are written in cycle order',
    );
    await leader.close();
  });

  it('a cycle of many intents is one log entry; takeover replays it whole', async () => {
    const durable = createMemoryDurableState();
    const a = leaderOn(durable, 'jm-a');
    await a.leader.lead(1);
    await a.leader.propose(join('w1', 64));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => a.leader.propose({ kind: 'submit', spec: jobSpec(`m${i}`, [1]) })),
    );
    await a.leader.idle();
    const sizes = (await logEntries(durable)).map((e) => commandsOf(e).length);
    assert.ok(Math.max(...sizes) >= 20, `some cycle logged many commands in one entry: ${sizes.join(',')}`);
    const before = JSON.stringify(a.leader.view()?.toSnapshot().jobs);
    await a.leader.close();
    const b = leaderOn(durable, 'jm-b');
    await b.leader.lead(2);
    assert.equal(JSON.stringify(b.leader.view()?.toSnapshot().jobs), before);
    await b.leader.close();
  });

  it('applies concurrent intents in coalesced cycles, places every job once, answers after the log', async () => {
    const durable = createMemoryDurableState();
    const { leader, links } = leaderOn(durable, 'jm-a');
    await leader.lead(1);
    await Promise.all([join('w1', 32), join('w2', 32)].map((i) => leader.propose(i)));
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        leader.propose({ kind: 'submit', spec: jobSpec(`j${i}`, [2, 2]) }),
      ),
    );
    assert.ok(outcomes.every((o) => o.ok));
    await leader.idle();
    const state = leader.view();
    assert.ok(state);
    assert.equal(state.countByState().scheduled, 16, '64 cores / 4 per job');
    assert.equal(state.countByState().waiting, 184);
    assert.equal(assigned(links), 32);
    assert.deepEqual(state.consistencyProblems(), []);
    assert.ok(leader.stats.cycles < 20, `200 intents in ${leader.stats.cycles} cycles`);
    const dup = await leader.propose({ kind: 'submit', spec: jobSpec('j0', [1]) });
    assert.equal(dup.ok, false);
    await leader.close();
  });

  it('a standby takes over from snapshot + log; the deposed leader is fenced and refuses with 503', async () => {
    const durable = createMemoryDurableState({ maxChunkItems: 7 });
    const a = leaderOn(durable, 'jm-a', 10);
    await a.leader.lead(1);
    await a.leader.propose(join('w1', 8));
    for (let i = 0; i < 30; i++) await a.leader.propose({ kind: 'submit', spec: jobSpec(`j${i}`, [1]) });
    await a.leader.idle();
    assert.ok(a.leader.stats.snapshots >= 1, 'snapshots were written');
    const before = JSON.stringify(a.leader.view()?.toSnapshot().jobs);

    const b = leaderOn(durable, 'jm-b');
    await b.leader.lead(2);
    assert.equal(
      JSON.stringify(b.leader.view()?.toSnapshot().jobs),
      before,
      'the same jobs, placements and states',
    );
    assert.equal(b.leader.view()?.term, 2);
    // The new leader re-sends every placed task not yet running: a dispatch lost in the failover is repaired.
    assert.equal(assigned(b.links), 8);

    let stepped = '';
    a.leader.onStepDown((why) => (stepped = why));
    await assert.rejects(a.leader.propose({ kind: 'submit', spec: jobSpec('late', [1]) }), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.status, 503);
      return true;
    });
    assert.equal(a.leader.getState(), 'standby');
    assert.match(stepped, /fenced/);
    assert.equal((await b.leader.propose({ kind: 'submit', spec: jobSpec('late', [1]) })).ok, true);
    await b.leader.idle();
    assert.deepEqual(b.leader.view()?.consistencyProblems(), []);
    await Promise.all([a.leader.close(), b.leader.close()]);
  });

  it('a job that finishes leaves live state into the records; freed cores place the next job', async () => {
    const durable = createMemoryDurableState();
    const { leader, records } = leaderOn(durable, 'jm-a');
    await leader.lead(1);
    await leader.propose(join('w1', 2));
    await leader.propose({ kind: 'submit', spec: jobSpec('first', [2]) });
    await leader.propose({ kind: 'submit', spec: jobSpec('second', [2]) });
    await leader.idle();
    const first = leader.view()?.job('first');
    assert.equal(first?.state, 'scheduled');
    const report = (state: 'running' | 'finished', at: number) => reportOf('first', 'r', state, at);
    await leader.propose({ kind: 'reports', reports: [report('running', 2000), report('finished', 3000)] });
    await leader.idle();
    assert.equal(leader.view()?.job('first'), undefined);
    assert.equal(records.ended().get('first')?.state, 'finished');
    assert.equal(leader.view()?.job('second')?.state, 'scheduled');
    await leader.close();
  });

  it('history lost with a dead leader is written again by the next one', async () => {
    const durable = createMemoryDurableState();
    const a = leaderOn(durable, 'jm-a');
    await a.leader.lead(1);
    await a.leader.propose(join('w1', 4));
    await a.leader.propose({ kind: 'submit', spec: jobSpec('short', [1]) });
    await a.leader.idle();
    // The records store is down when the job ends, and then leader A dies.
    a.records.write = () => Promise.reject(new Error('records store down'));
    const report = (state: 'running' | 'finished', at: number) => reportOf('short', 'h', state, at);
    await a.leader.propose({ kind: 'reports', reports: [report('running', 2000), report('finished', 3000)] });
    await a.leader.idle();
    assert.equal(a.records.ended().get('short'), undefined, 'A never wrote it');
    const b = leaderOn(durable, 'jm-b');
    await b.leader.lead(2);
    assert.equal(b.records.ended().get('short')?.state, 'finished', 'B wrote it on takeover');
    await Promise.all([a.leader.close(), b.leader.close()]);
  });

  it('records are written through a watermark: a successor re-writes only the unwritten tail, each event once', async () => {
    const stores = createMemoryStores();
    let failing = false;
    /** A's projection, failing while `failing` (the records store is down); B's is sound. */
    const projectionA = new StoreProjection(stores, { watermarkEveryMs: 0 });
    const sinkA: RecordSink = {
      write: (b) => (failing ? Promise.reject(new Error('records store down')) : projectionA.write(b)),
      writtenThrough: () => projectionA.writtenThrough(),
    };
    const durable = createMemoryDurableState();
    const a = leaderOn(durable, 'jm-a', 5000, sinkA);
    await a.leader.lead(1);
    await a.leader.propose(join('w1', 4));
    await a.leader.propose({ kind: 'submit', spec: jobSpec('short', [1]) });
    await a.leader.idle();
    const through = await stores.settings.getRecordsThrough();
    assert.ok(through > 0, 'the watermark follows the written records');
    failing = true;
    const report = (state: 'running' | 'finished', at: number) => reportOf('short', 'w', state, at);
    await a.leader.propose({ kind: 'reports', reports: [report('running', 2000)] });
    await a.leader.propose({ kind: 'reports', reports: [report('finished', 3000)] });
    await a.leader.idle();
    await a.leader.close(); // A dies with two cycles' records unwritten
    assert.equal(await stores.settings.getRecordsThrough(), through);

    const written: RecordBatch[] = [];
    const projectionB = new StoreProjection(stores);
    const sinkB: RecordSink = {
      write: (b) => (written.push(b), projectionB.write(b)),
      writtenThrough: () => projectionB.writtenThrough(),
    };
    const b = leaderOn(durable, 'jm-b', 5000, sinkB);
    await b.leader.lead(2);
    assert.deepEqual(
      written[0]?.events.map((e) => e.kind),
      ['job-running', 'job-finished'],
      'only the events of the entries after the watermark',
    );
    assert.equal((await stores.jobs.get('short'))?.state, 'finished', 'history written on takeover');
    const events = await stores.events.list({ job: 'short' }, 100);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['job-submitted', 'job-scheduled', 'job-running', 'job-finished'],
      'every event of the job once, in order',
    );
    // A third leader re-writing the same tail (watermark lost) stores nothing twice.
    await b.leader.close();
    await stores.settings.setRecordsThrough(0);
    const c = leaderOn(durable, 'jm-c', 5000, new StoreProjection(stores));
    await c.leader.lead(3);
    assert.equal((await stores.events.list({ job: 'short' }, 100)).length, 4);
    await c.leader.close();
  });

  it('a records write that never settles holds answers only until its bound; the batch is written again next time', async () => {
    const durable = createMemoryDurableState();
    let hang = true;
    const written: RecordBatch[] = [];
    const sink: RecordSink = {
      write: (b) => (hang ? new Promise<void>(() => undefined) : (written.push(b), Promise.resolve())),
      writtenThrough: () => Promise.resolve(0),
    };
    const leader = new ControlLeader(
      { id: 'jm-t', defaultStrategy: 'best-fit', agingPerSecond: 0, recordsTimeoutMs: 50 },
      {
        log: durable.log<LoggedCommands>(),
        snapshots: durable.snapshots,
        dispatch: new RecordingLinks(),
        records: sink,
        clock: new FakeClock(1_000),
        logger: silentLogger(),
      },
    );
    const leading = leader.lead(1);
    await new Promise((r) => setTimeout(r, 80)); // the takeover's own write hangs, then gives up
    await leading;
    const t = performance.now();
    const out = await leader.propose({ kind: 'submit', spec: jobSpec('stuck', [1]) });
    assert.equal(out.ok, true);
    assert.ok(performance.now() - t < 1_000, 'answered after the bound, not never');
    hang = false;
    await leader.propose({ kind: 'submit', spec: jobSpec('after', [1]) });
    await leader.idle();
    const jobs = written.flatMap((b) => b.events.map((e) => e.job));
    assert.ok(
      jobs.includes('stuck') && jobs.includes('after'),
      `the held batch was written again: ${jobs.join(',')}`,
    );
    await leader.close();
  });

  it('a job that can never fit waits out the settle delay after the last join, then a round of its own fails it', async () => {
    const clock = new FakeClock(1_000);
    const records = new RecordingSink();
    const leader = new ControlLeader(
      { id: 'jm-a', defaultStrategy: 'best-fit', agingPerSecond: 0, neverFitsSettleMs: 200 },
      {
        log: createMemoryDurableState().log<LoggedCommands>(),
        snapshots: createMemoryDurableState().snapshots,
        dispatch: new RecordingLinks(),
        records,
        clock,
        logger: silentLogger(),
      },
    );
    await leader.lead(1);
    await leader.propose(join('w1', 4));
    await leader.propose({ kind: 'submit', spec: jobSpec('huge', [8]) });
    await leader.idle();
    assert.equal(leader.view()?.job('huge')?.state, 'waiting');
    assert.match(
      leader.view()?.job('huge')?.unplacedReason ?? '',
      /judged final once no worker has joined for 0.2 s/,
    );
    // Nothing else happens in the cluster: only the leader's own wake-up can judge the job, once
    // the clock has passed the delay.
    clock.advance(250);
    const deadline = Date.now() + 5_000;
    while (leader.view()?.job('huge') !== undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await leader.idle();
    assert.equal(leader.view()?.job('huge'), undefined, 'failed and out of live state');
    const ended = records.ended().get('huge');
    assert.equal(ended?.state, 'failed');
    assert.match(ended?.failureReason ?? '', /^can never be placed: task t0 needs 8 cores/);
    await leader.close();
  });

  it('a standby refuses intents with 503 until it leads', async () => {
    const { leader } = leaderOn(createMemoryDurableState(), 'jm-s');
    await assert.rejects(leader.propose({ kind: 'cancel', job: 'x' }), /not leading|standby/);
    await leader.close();
  });
});

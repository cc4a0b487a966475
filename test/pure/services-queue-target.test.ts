/**
 * @module The autoscaler's queue-length target (issue 12, item 4; docs/design/services.md):
 * validating `autoscale.queue` (exactly one of `redisList` / `bullmqQueue`, every problem named by
 * its field), which reports count as a service's load (only its queue's samples with a queue
 * target, only the gateways' without), and the leader's sampler on a fake probe and a fake clock:
 * one `service-load` report per service per period from source `queue:<service>`, nothing while
 * not leading, a warning (once) and no report with no probe or a failing one, and the law on the
 * state machine reaching `ceil(N / target)` and coming down once the queue drains.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock/fake-clock.js';
import {
  ControlState,
  autoscaleInputOf,
  type CommandOutcome,
  type ControlCommand,
  type ControlIntent,
  type IntentPort,
} from '../../core/control-state/index.js';
import type { Logger } from '../../core/log/logger.js';
import { silentLogger } from '../../core/log/logger.js';
import {
  FakeQueueLengthProbe,
  countsAsLoad,
  queueLoadSource,
} from '../../core/services/queue-length-probe.js';
import {
  AUTOSCALE_DEFAULTS,
  decideAutoscale,
  validateService,
  type QueueTarget,
  type ServiceSpec,
} from '../../core/services/index.js';
import { QueueLoadSampler } from '../../job-manager/queue-load-sampler.js';

const MiB = 1024 * 1024;
const rules = { maxBodyBytes: 1e6, maxTasksPerJob: 10, volumeAllowList: [], minMemoryBytes: 4 * MiB };
const base = { name: 'consumer', image: 'busybox', port: 80 };

describe('validating autoscale.queue', () => {
  test('a Redis list or a BullMQ queue; absent means in-flight requests', () => {
    const list = validateService(
      { ...base, autoscale: { target: 5, queue: { redisList: 'jobs:in' } } },
      rules,
    );
    assert.ok(list.ok, JSON.stringify(list));
    assert.deepEqual(list.service.autoscale, {
      target: 5,
      queue: { redisList: 'jobs:in' },
      ...AUTOSCALE_DEFAULTS,
    });
    const bull = validateService(
      { ...base, autoscale: { target: 5, queue: { bullmqQueue: 'mail' } } },
      rules,
    );
    assert.ok(bull.ok, JSON.stringify(bull));
    assert.deepEqual(bull.service.autoscale?.queue, { bullmqQueue: 'mail' });
    const none = validateService({ ...base, autoscale: { target: 5 } }, rules);
    assert.ok(none.ok);
    assert.equal(none.service.autoscale?.queue, undefined);
  });

  const issues = (queue: unknown): { code: string; pointer: string; message: string }[] => {
    const v = validateService({ ...base, autoscale: { target: 5, queue } }, rules);
    assert.ok(!v.ok, `accepted ${JSON.stringify(queue)}`);
    return v.issues;
  };

  test('every problem names its field', () => {
    const cases: [unknown, string, string][] = [
      [{}, '/autoscale/queue', 'FIELD_REQUIRED'],
      [{ redisList: 'a', bullmqQueue: 'b' }, '/autoscale/queue', 'FIELD_FORMAT'],
      [{ redisList: '' }, '/autoscale/queue/redisList', 'FIELD_RANGE'],
      [{ redisList: 7 }, '/autoscale/queue/redisList', 'FIELD_TYPE'],
      [{ bullmqQueue: 'a:b' }, '/autoscale/queue/bullmqQueue', 'FIELD_FORMAT'],
      [{ bullmqQueue: 'x'.repeat(257) }, '/autoscale/queue/bullmqQueue', 'FIELD_RANGE'],
      [{ redisList: 'a', stream: 'b' }, '/autoscale/queue/stream', 'FIELD_UNKNOWN'],
      ['jobs', '/autoscale/queue', 'FIELD_TYPE'],
    ];
    for (const [queue, pointer, code] of cases) {
      const found = issues(queue);
      assert.ok(
        found.some((i) => i.pointer === pointer && i.code === code),
        `${JSON.stringify(queue)}: ${JSON.stringify(found)}`,
      );
    }
    assert.match(issues({})[0]?.message ?? '', /redisList .* or bullmqQueue/);
    assert.match(issues({ redisList: 'a', bullmqQueue: 'b' })[0]?.message ?? '', /not both/);
  });

  test('problems elsewhere are reported with it, all at once', () => {
    const v = validateService(
      { ...base, minReplicas: 3, maxReplicas: 2, autoscale: { target: 0, queue: {} } },
      rules,
    );
    assert.ok(!v.ok);
    const pointers = v.issues.map((i) => i.pointer);
    assert.ok(pointers.includes('/autoscale/target'), JSON.stringify(v.issues));
  });
});

const spec = (name: string, queue: QueueTarget | undefined): ServiceSpec => ({
  name,
  image: 'rswarm/busybox:latest',
  command: undefined,
  env: {},
  port: 8080,
  healthPath: '/',
  cores: 1,
  memoryBytes: 32 * MiB,
  minReplicas: 0,
  maxReplicas: 10,
  idleTimeoutMs: 60_000,
  priority: 0,
  placement: 'spread',
  latency: undefined,
  public: false,
  autoscale: {
    target: 2,
    periodMs: 1000,
    maxStep: 10,
    coolDownMs: 0,
    downPeriods: 2,
    ...(queue ? { queue } : {}),
  },
});

describe('which reports are a service’s load', () => {
  const queued = spec('q', { redisList: 'work' });
  const http = spec('h', undefined);

  test('a queue target counts only its own queue samples; in-flight only the gateways’', () => {
    assert.equal(countsAsLoad(queued, queueLoadSource('q')), true);
    assert.equal(countsAsLoad(queued, 'host:1:gateway:5080'), false);
    assert.equal(countsAsLoad(queued, queueLoadSource('other')), false);
    assert.equal(countsAsLoad(http, 'host:1:gateway:5080'), true);
    assert.equal(countsAsLoad(http, queueLoadSource('h')), false);
  });

  test('autoscaleInputOf sums only what counts', () => {
    const s = new ControlState();
    s.apply({ kind: 'service-put', at: 0, spec: queued });
    s.apply({ kind: 'service-put', at: 0, spec: http });
    const load = (source: string, samples: { name: string; inFlight: number }[]): ControlCommand => ({
      kind: 'service-load',
      at: 10,
      source,
      periodMs: 1000,
      samples,
    });
    s.apply(
      load('gw', [
        { name: 'q', inFlight: 50 },
        { name: 'h', inFlight: 3 },
      ]),
    );
    s.apply(load(queueLoadSource('q'), [{ name: 'q', inFlight: 7 }]));
    s.apply(load(queueLoadSource('h'), [{ name: 'h', inFlight: 99 }])); // left from an old definition
    const byName = new Map(autoscaleInputOf(s, 20, 100).services.map((x) => [x.record.spec.name, x.load]));
    assert.equal(byName.get('q'), 7);
    assert.equal(byName.get('h'), 3);
  });
});

/** A leader over a ControlState: intents applied at the clock's now, each applied one logged. */
function fakeLeader(clock: FakeClock): IntentPort & {
  state: ControlState;
  leading: boolean;
  logged: ControlCommand[];
  view(): ControlState | undefined;
} {
  const leader = {
    state: new ControlState(),
    leading: true,
    logged: [] as ControlCommand[],
    view: () => (leader.leading ? leader.state : undefined),
    propose: (intent: ControlIntent): Promise<CommandOutcome> => {
      const cmd = { ...intent, at: clock.now() } as ControlCommand;
      const fx = leader.state.apply(cmd);
      if (fx.outcome.ok) leader.logged.push(cmd);
      return Promise.resolve(fx.outcome);
    },
  };
  return leader;
}

/** A logger that keeps its warnings. */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = silentLogger();
  const wrap = (l: Logger): Logger =>
    new Proxy(l, {
      get(target, prop, recv) {
        if (prop === 'warn') return (_fields: unknown, msg: string) => warnings.push(msg);
        if (prop === 'child') return () => wrap(l);
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
  return { logger: wrap(logger), warnings };
}

describe('the queue sampler (fake probe, fake clock)', () => {
  const setup = (probe: FakeQueueLengthProbe | undefined = new FakeQueueLengthProbe()) => {
    const clock = new FakeClock(1_000_000);
    const leader = fakeLeader(clock);
    const { logger, warnings } = recordingLogger();
    const sampler = QueueLoadSampler.create({ tickMs: 100 }, { leader, probe, clock, logger });
    return { clock, leader, sampler, warnings, probe };
  };

  test('one report per queue-targeted service per its period, from queue:<service>', async () => {
    const { clock, leader, sampler, probe } = setup();
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('q', { redisList: 'work' }) });
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('b', { bullmqQueue: 'mail' }) });
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('h', undefined) });
    probe?.set({ redisList: 'work' }, 9);
    probe?.set({ bullmqQueue: 'mail' }, 4);
    const first = await sampler.tick();
    assert.deepEqual(first.map((r) => [r.source, r.periodMs, r.samples]).sort(), [
      ['queue:b', 1000, [{ name: 'b', inFlight: 4 }]],
      ['queue:q', 1000, [{ name: 'q', inFlight: 9 }]],
    ]);
    clock.advance(500);
    assert.deepEqual(await sampler.tick(), [], 'not due within the period');
    clock.advance(500);
    assert.equal((await sampler.tick()).length, 2);
    assert.equal(probe?.reads.get('list:work'), 2);
    assert.equal(leader.state.serviceLoad.loadOf('q', clock.now()), 9);
  });

  test('a standby samples nothing', async () => {
    const { leader, sampler, probe } = setup();
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('q', { redisList: 'work' }) });
    leader.leading = false;
    assert.deepEqual(await sampler.tick(), []);
    assert.equal(probe?.reads.size, 0);
  });

  test('no probe (no Redis configured): one warning per service, no report', async () => {
    const clock = new FakeClock(0);
    const leader = fakeLeader(clock);
    const { logger, warnings } = recordingLogger();
    const sampler = QueueLoadSampler.create({}, { leader, probe: undefined, clock, logger });
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('q', { redisList: 'work' }) });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await sampler.tick(), []);
      clock.advance(1000);
    }
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0] ?? '', /no Redis is configured/);
    assert.equal(leader.logged.length, 0);
  });

  test('a failing probe: warned once, no report, the old sample goes stale; recovery reports again', async () => {
    const { clock, leader, sampler, warnings, probe } = setup();
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('q', { redisList: 'work' }) });
    probe?.set({ redisList: 'work' }, 6);
    assert.equal((await sampler.tick()).length, 1);
    if (probe) probe.failing = new Error('ECONNREFUSED');
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      assert.deepEqual(await sampler.tick(), []);
    }
    assert.equal(warnings.length, 1);
    assert.equal(leader.state.serviceLoad.loadOf('q', clock.now()), undefined, 'stale after 3 periods');
    if (probe) probe.failing = undefined;
    clock.advance(1000);
    assert.equal((await sampler.tick()).length, 1);
    assert.equal(leader.state.serviceLoad.loadOf('q', clock.now()), 6);
  });

  test('a read that never answers times out on the Clock', async () => {
    const clock = new FakeClock(0);
    const leader = fakeLeader(clock);
    const { logger, warnings } = recordingLogger();
    const hung = { length: () => new Promise<number>(() => undefined), close: () => Promise.resolve() };
    const sampler = QueueLoadSampler.create({ sampleTimeoutMs: 300 }, { leader, probe: hung, clock, logger });
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('q', { redisList: 'work' }) });
    const tick = sampler.tick();
    await new Promise((r) => setImmediate(r));
    clock.advance(300);
    assert.deepEqual(await tick, []);
    assert.match(JSON.stringify(warnings), /unreadable/);
  });

  test('run → close: ticks on the Clock and stops', async () => {
    const { clock, leader, sampler, probe } = setup();
    leader.state.apply({ kind: 'service-put', at: 0, spec: spec('q', { redisList: 'work' }) });
    sampler.run();
    assert.equal(sampler.getState(), 'running');
    clock.advance(100);
    await new Promise((r) => setImmediate(r));
    assert.equal(probe?.reads.get('list:work'), 1);
    await sampler.close();
    assert.equal(sampler.getState(), 'closed');
    clock.advance(5000);
    await new Promise((r) => setImmediate(r));
    assert.equal(probe?.reads.get('list:work'), 1);
  });

  test('with the law: N items reach ceil(N / target) within 3 periods, and drain back after downPeriods', async () => {
    const { clock, leader, sampler, probe } = setup();
    const s = spec('q', { redisList: 'work' }); // target 2, maxStep 10, downPeriods 2, period 1 s
    leader.state.apply({ kind: 'service-put', at: clock.now(), spec: s });
    const period = async (): Promise<number> => {
      await sampler.tick();
      for (const d of decideAutoscale(autoscaleInputOf(leader.state, clock.now(), 100)))
        await leader.propose({ kind: 'service-autoscale', ...d });
      clock.advance(1000);
      return leader.state.services.get('q')?.desired ?? -1;
    };
    probe?.set({ redisList: 'work' }, 7);
    const up = [await period(), await period(), await period()];
    assert.ok(up.includes(4), `ceil(7 / 2) = 4 within 3 periods: ${up.join(', ')}`);
    probe?.set({ redisList: 'work' }, 0);
    const down = [await period(), await period(), await period()];
    assert.deepEqual(down, [4, 0, 0], 'down once 2 periods in a row wanted fewer');
    // The decisions replay from the logged reports and decisions alone.
    const replay = new ControlState();
    replay.apply({ kind: 'service-put', at: 1_000_000, spec: s });
    for (const cmd of leader.logged) replay.apply(cmd);
    assert.equal(replay.services.get('q')?.desired, 0);
    assert.ok(leader.logged.some((c) => c.kind === 'service-load' && c.source === 'queue:q'));
  });
});

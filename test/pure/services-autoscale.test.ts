/**
 * @module The autoscaler's control law (issue 12, item 4; docs/design/services.md): tables for
 * each rule of `lawFor` and `decideAutoscale` (up at once, step limit, clamp, down after
 * `downPeriods`, cool-down, priority hold, preemption lowest priority first, the global cap), and
 * properties over random loads driven through the real state machine (`service-load` and
 * `service-autoscale` commands applied as the leader applies them): never outside [min, max],
 * never more than `maxStep` per decision, no oscillation under a constant load, a step load
 * reaches its target within 3 periods, and the logged commands replay to the same state.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ControlState,
  LOAD_STALE_PERIODS,
  autoscaleInputOf,
  type ControlCommand,
} from '../../core/control-state/index.js';
import {
  AUTOSCALE_DEFAULTS,
  validateService,
  decideAutoscale,
  lawFor,
  replicasFor,
  type AutoscaleInput,
  type AutoscaleReplica,
  type AutoscaleServiceInput,
  type AutoscaleSpec,
  type ServiceRecord,
  type ServiceSpec,
} from '../../core/services/index.js';

const MiB = 1024 * 1024;

const spec = (over: Partial<ServiceSpec> = {}, auto: Partial<AutoscaleSpec> | null = {}): ServiceSpec => ({
  name: 'web',
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
  ...(auto
    ? {
        autoscale: {
          target: 1,
          periodMs: 1000,
          maxStep: 2,
          coolDownMs: 0,
          downPeriods: 3,
          ...auto,
        },
      }
    : {}),
  ...over,
});

const record = (s: ServiceSpec, desired: number, over: Partial<ServiceRecord> = {}): ServiceRecord => ({
  spec: s,
  desired,
  nextReplica: desired + 1,
  generation: 1,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

const placed = (n: number): AutoscaleReplica[] =>
  Array.from({ length: n }, (_, i) => ({ replica: i + 1, placed: true, unplaced: false }));
const unplaced = (n: number): AutoscaleReplica[] =>
  Array.from({ length: n }, (_, i) => ({ replica: 100 + i, placed: false, unplaced: true }));

const input = (
  r: ServiceRecord,
  load: number | undefined,
  replicas = placed(r.desired),
): AutoscaleServiceInput => ({
  record: r,
  replicas,
  stopping: 0,
  load,
});

describe('the control law for one service', () => {
  const now = 100_000;
  const cases: {
    name: string;
    desired: number;
    load: number | undefined;
    over?: Partial<ServiceSpec>;
    auto?: Partial<AutoscaleSpec>;
    memory?: ServiceRecord['autoscale'];
    updatedAt?: number;
    want: { desired: number; downStreak: number; wanted: number };
  }[] = [
    {
      name: 'no load, no replicas: stays',
      desired: 0,
      load: undefined,
      want: { desired: 0, downStreak: 0, wanted: 0 },
    },
    { name: 'up at once', desired: 1, load: 2, want: { desired: 2, downStreak: 0, wanted: 2 } },
    { name: 'up by maxStep at most', desired: 0, load: 7, want: { desired: 2, downStreak: 0, wanted: 7 } },
    {
      name: 'ceil(load/target)',
      desired: 1,
      load: 2.5,
      auto: { target: 2 },
      want: { desired: 2, downStreak: 0, wanted: 2 },
    },
    {
      name: 'float noise is no replica',
      desired: 2,
      load: 4.0000000001,
      auto: { target: 2 },
      want: { desired: 2, downStreak: 0, wanted: 2 },
    },
    {
      name: 'clamped to max',
      desired: 3,
      load: 50,
      over: { maxReplicas: 4 },
      want: { desired: 4, downStreak: 0, wanted: 4 },
    },
    {
      name: 'clamped to min',
      desired: 2,
      load: 0,
      over: { minReplicas: 2 },
      want: { desired: 2, downStreak: 0, wanted: 2 },
    },
    { name: 'down waits: first period', desired: 4, load: 1, want: { desired: 4, downStreak: 1, wanted: 1 } },
    {
      name: 'down after downPeriods, by maxStep',
      desired: 4,
      load: 0,
      memory: { lastDecisionAt: 0, lastChangeAt: 0, downStreak: 2, load: 0 },
      want: { desired: 2, downStreak: 0, wanted: 0 },
    },
    {
      name: 'down held by the cool-down',
      desired: 4,
      load: 0,
      auto: { coolDownMs: 30_000 },
      memory: { lastDecisionAt: 0, lastChangeAt: now - 10_000, downStreak: 5, load: 0 },
      want: { desired: 4, downStreak: 6, wanted: 0 },
    },
    {
      name: 'a cold start restarts the cool-down too',
      desired: 1,
      load: 0,
      auto: { coolDownMs: 30_000, downPeriods: 1 },
      updatedAt: now - 1000,
      want: { desired: 1, downStreak: 1, wanted: 0 },
    },
    {
      name: 'load back at the count resets the streak',
      desired: 3,
      load: 3,
      memory: { lastDecisionAt: 0, lastChangeAt: 0, downStreak: 2, load: 1 },
      want: { desired: 3, downStreak: 0, wanted: 3 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = record(spec(c.over, c.auto), c.desired, {
        ...(c.memory ? { autoscale: c.memory } : {}),
        updatedAt: c.updatedAt ?? 0,
      });
      const d = lawFor(input(r, c.load), now);
      assert.deepEqual({ desired: d.desired, downStreak: d.downStreak, wanted: d.wanted }, c.want);
      assert.equal(d.from, c.desired);
    });
  }

  test('replicasFor is ceil, and 0 for no load', () => {
    assert.deepEqual(
      [0, 0.1, 1, 1.5, 2, 2.0000000001].map((l) => replicasFor(l, 1)),
      [0, 1, 1, 2, 2, 2],
    );
  });
});

describe('decisions across services', () => {
  const now = 100_000;
  const tick = (services: AutoscaleServiceInput[], maxReplicas = 100): AutoscaleInput => ({
    now,
    maxReplicas,
    services,
  });
  const byName = (ds: ReturnType<typeof decideAutoscale>) => Object.fromEntries(ds.map((d) => [d.name, d]));

  test('a service decides once per period', () => {
    const r = record(spec({}, { periodMs: 5000 }), 1, {
      autoscale: { lastDecisionAt: now - 4000, lastChangeAt: 0, downStreak: 0, load: 1 },
    });
    assert.deepEqual(decideAutoscale(tick([input(r, 5)])), []);
    const later = record(r.spec, 1, { autoscale: { ...r.autoscale!, lastDecisionAt: now - 5000 } });
    assert.equal(decideAutoscale(tick([input(later, 5)]))[0]?.desired, 3);
  });

  test('services without autoscale get no decision unless preempted', () => {
    assert.deepEqual(decideAutoscale(tick([input(record(spec({}, null), 2), 10)])), []);
  });

  test('preemption takes from the lowest priority first, newest capacity needed only', () => {
    const high = record(spec({ name: 'high', priority: 10, cores: 2 }, null), 2);
    const mid = record(spec({ name: 'mid', priority: 5 }, null), 3);
    const low = record(spec({ name: 'low', priority: 0, minReplicas: 1 }), 2, {
      autoscale: { lastDecisionAt: now, lastChangeAt: 0, downStreak: 0, load: 2 },
    });
    // high: one placed, one unplaced needing 2 cores. low can give 1 (min 1), mid the other.
    const ds = byName(
      decideAutoscale(
        tick([input(high, 4, [...placed(1), ...unplaced(1)]), input(mid, undefined), input(low, 2)]),
      ),
    );
    assert.equal(ds['low']?.desired, 1);
    assert.equal(ds['low']?.reason, 'preempted');
    assert.equal(ds['low']?.for, 'high');
    assert.equal(ds['mid']?.desired, 2);
    assert.equal(ds['high'], undefined, 'high has no autoscale and is not preempted');
  });

  test('no preemption of equal or higher priority, and none while stops are under way', () => {
    const a = record(spec({ name: 'a', priority: 5 }, null), 1);
    const b = record(spec({ name: 'b', priority: 5 }, null), 2);
    assert.deepEqual(decideAutoscale(tick([input(a, 1, unplaced(1)), input(b, 0)])), []);
    const low = record(spec({ name: 'low', priority: 0 }, null), 2);
    const stopping = { ...input(low, 0), stopping: 1 };
    assert.deepEqual(decideAutoscale(tick([input(a, 1, unplaced(1)), stopping])), []);
  });

  test('a preempted service with waiting replicas loses those first', () => {
    const high = record(spec({ name: 'high', priority: 10 }, null), 1);
    const low = record(spec({ name: 'low' }, null), 3);
    const ds = byName(
      decideAutoscale(tick([input(high, 1, unplaced(1)), input(low, 0, [...placed(2), ...unplaced(1)])])),
    );
    assert.equal(ds['low']?.desired, 1, '3 → 1: the waiting one and one placed');
  });

  test('while a higher-priority service waits for capacity, lower ones do not scale up', () => {
    const high = record(spec({ name: 'high', priority: 10 }, null), 1);
    const low = record(spec({ name: 'low' }), 0);
    const ds = byName(decideAutoscale(tick([input(high, 1, unplaced(1)), input(low, 4, [])])));
    assert.deepEqual([ds['low']?.desired, ds['low']?.reason], [0, 'held']);
  });

  test('the global cap goes to the higher priority first', () => {
    const a = record(spec({ name: 'a', priority: 1 }), 1);
    const b = record(spec({ name: 'b', priority: 2 }), 1);
    const ds = byName(decideAutoscale(tick([input(a, 5), input(b, 5)], 4)));
    assert.deepEqual([ds['b']?.desired, ds['b']?.reason], [3, 'load']);
    assert.deepEqual([ds['a']?.desired, ds['a']?.reason], [1, 'capped']);
  });
});

/** Drives one service through the real state machine, one decision per period. */
function drive(
  s: ServiceSpec,
  loads: readonly number[],
  state = new ControlState(),
): { desired: number[]; logged: ControlCommand[]; state: ControlState } {
  const period = s.autoscale?.periodMs ?? 1000;
  const logged: ControlCommand[] = [];
  const apply = (cmd: ControlCommand): void => {
    const fx = state.apply(cmd);
    if (fx.outcome.ok) logged.push(cmd);
  };
  apply({ kind: 'service-put', at: 0, spec: s });
  const desired: number[] = [];
  loads.forEach((load, i) => {
    const at = (i + 1) * period;
    apply({
      kind: 'service-load',
      at,
      source: 'g1',
      periodMs: period,
      samples: [{ name: s.name, inFlight: load }],
    });
    for (const d of decideAutoscale(autoscaleInputOf(state, at, 1000)))
      apply({ kind: 'service-autoscale', at, ...d });
    desired.push(state.services.get(s.name)?.desired ?? -1);
  });
  return { desired, logged, state };
}

const autoArb = fc.record({
  target: fc.integer({ min: 1, max: 8 }),
  maxStep: fc.integer({ min: 1, max: 4 }),
  downPeriods: fc.integer({ min: 1, max: 4 }),
  coolDownMs: fc.constantFrom(0, 1000, 3000),
});
const boundsArb = fc
  .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 12 }))
  .map(([min, span]) => ({ minReplicas: min, maxReplicas: min + span }));

describe('properties of the law on the state machine', () => {
  test('never outside [min, max], never more than maxStep per decision', () => {
    fc.assert(
      fc.property(
        autoArb,
        boundsArb,
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 40 }),
        (a, b, loads) => {
          const s = spec(b, { ...a, periodMs: 1000 });
          const { desired } = drive(s, loads);
          let prev = b.minReplicas;
          for (const d of desired) {
            assert.ok(
              d >= b.minReplicas && d <= b.maxReplicas,
              `${d} outside [${b.minReplicas}, ${b.maxReplicas}]`,
            );
            assert.ok(Math.abs(d - prev) <= a.maxStep, `${prev} → ${d} with maxStep ${a.maxStep}`);
            prev = d;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('no oscillation under a constant load: monotone, then settled on the target', () => {
    fc.assert(
      fc.property(
        autoArb,
        boundsArb,
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (a, b, before, load) => {
          const s = spec(b, { ...a, periodMs: 1000 });
          // Some history first (any count), then the constant load for long enough.
          const { desired } = drive(s, [...Array(6).fill(before), ...Array(40).fill(load)]);
          const tail = desired.slice(6);
          const wanted = Math.min(b.maxReplicas, Math.max(b.minReplicas, replicasFor(load, a.target)));
          const signs = tail
            .slice(1)
            .map((d, i) => Math.sign(d - (tail[i] as number)))
            .filter((x) => x !== 0);
          assert.ok(
            signs.every((x) => x === signs[0]),
            `changes direction: ${tail.join(',')}`,
          );
          assert.equal(tail[tail.length - 1], wanted);
          assert.ok(
            tail.slice(-10).every((d) => d === wanted),
            'settled',
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a step load from zero reaches its target within 3 periods when 3 steps can cover it', () => {
    fc.assert(
      fc.property(autoArb, fc.integer({ min: 1, max: 48 }), (a, load) => {
        const s = spec({ minReplicas: 0, maxReplicas: 12 }, { ...a, periodMs: 1000 });
        const wanted = Math.min(12, replicasFor(load, a.target));
        fc.pre(wanted <= 3 * a.maxStep);
        const { desired } = drive(s, [0, 0, load, load, load, load]);
        assert.equal(desired[4], wanted, `periods: ${desired.join(',')}`);
      }),
      { numRuns: 300 },
    );
  });

  test('the logged commands replay to the same state, and a snapshot restores it', () => {
    fc.assert(
      fc.property(
        autoArb,
        boundsArb,
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 30 }),
        (a, b, loads) => {
          const { logged, state } = drive(spec(b, { ...a, periodMs: 1000 }), loads);
          const replayed = new ControlState();
          for (const c of logged) assert.ok(replayed.apply(c).outcome.ok);
          assert.deepEqual(replayed.toSnapshot(), state.toSnapshot());
          assert.deepEqual(ControlState.fromSnapshot(state.toSnapshot()).toSnapshot(), state.toSnapshot());
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('load reports and decisions in the state', () => {
  test('a report replaces its source, sources add up, a silent source stops counting', () => {
    const s = new ControlState();
    s.apply({ kind: 'service-put', at: 0, spec: spec() });
    const load = (at: number, source: string, inFlight: number): void =>
      void s.apply({
        kind: 'service-load',
        at,
        source,
        periodMs: 1000,
        samples: [{ name: 'web', inFlight }],
      });
    load(1000, 'g1', 3);
    load(1500, 'g2', 2);
    assert.equal(s.serviceLoad.loadOf('web', 1500), 5);
    load(2000, 'g1', 1);
    assert.equal(s.serviceLoad.loadOf('web', 2000), 3);
    s.apply({ kind: 'service-load', at: 2500, source: 'g2', periodMs: 1000, samples: [] });
    assert.equal(s.serviceLoad.loadOf('web', 2500), 1);
    assert.equal(s.serviceLoad.loadOf('web', 2000 + LOAD_STALE_PERIODS * 1000 + 1), undefined);
  });

  test('a decision made on an older count is refused (a cold start came in between)', () => {
    const s = new ControlState();
    s.apply({ kind: 'service-put', at: 0, spec: spec() });
    s.apply({ kind: 'service-scale', at: 1, name: 'web', mode: 'at-least', replicas: 1 });
    const fx = s.apply({
      kind: 'service-autoscale',
      at: 2,
      name: 'web',
      from: 0,
      desired: 0,
      load: 0,
      wanted: 0,
      downStreak: 0,
      reason: 'load',
    });
    assert.equal(fx.outcome.ok ? 'ok' : fx.outcome.code, 'CONFLICT');
    assert.equal(s.services.get('web')?.desired, 1);
  });
});

describe('validating autoscale', () => {
  const rules = { maxBodyBytes: 1e6, maxTasksPerJob: 10, volumeAllowList: [], minMemoryBytes: 4 * MiB };
  const base = { name: 'api', image: 'busybox', port: 80 };

  test('defaults fill the optional fields; absent means none', () => {
    const v = validateService({ ...base, autoscale: { target: 2.5 } }, rules);
    assert.ok(v.ok);
    assert.deepEqual(v.service.autoscale, { target: 2.5, ...AUTOSCALE_DEFAULTS });
    const none = validateService(base, rules);
    assert.ok(none.ok);
    assert.equal(none.service.autoscale, undefined);
  });

  test('every field error names its field', () => {
    const v = validateService(
      {
        ...base,
        autoscale: { target: 0, periodMs: 10, maxStep: 0, coolDownMs: -1, downPeriods: 0, queue: 'x' },
      },
      rules,
    );
    assert.ok(!v.ok);
    const pointers = new Set(v.issues.map((i) => i.pointer));
    for (const f of ['target', 'periodMs', 'maxStep', 'coolDownMs', 'downPeriods'])
      assert.ok(pointers.has(`/autoscale/${f}`), `${f}: ${JSON.stringify(v.issues)}`);
    const missing = validateService({ ...base, autoscale: {} }, rules);
    assert.ok(!missing.ok);
    assert.ok(
      missing.issues.some((i) => i.pointer.startsWith('/autoscale')),
      JSON.stringify(missing.issues),
    );
  });
});

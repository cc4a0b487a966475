/**
 * @module Services in the control state (issue 12, item 1): definitions, desired counts and the
 * leader's reconcile, driven the way the leader drives them (apply intents, reconcile the dirty
 * services, plan, apply reports), on the real state machine and scheduler. Also: a snapshot
 * restores services and their replica index, and the validation of service documents.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ControlState,
  planRound,
  reconcileServices,
  roundPasses,
  type ControlCommand,
  type ServiceScaleCommand,
} from '../../core/control-state/index.js';
import type { JobRecord } from '../../core/model/records.js';
import { SERVICE_DEFAULTS, validateService, type ServiceSpec } from '../../core/services/index.js';
import { MiB, jobSpec, joinCmd, planCmd, reportOf } from '../support/control-state-fixtures.js';

const spec = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name: 'web',
  image: 'rswarm/busybox:latest',
  command: ['httpd', '-f', '-p', '8080'],
  env: { TOKEN: 'secret' },
  port: 8080,
  healthPath: '/',
  cores: 1,
  memoryBytes: 32 * MiB,
  minReplicas: 0,
  maxReplicas: 4,
  idleTimeoutMs: 60_000,
  priority: 0,
  placement: 'spread',
  latency: undefined,
  public: false,
  ...over,
});

/** A leader in miniature: each step applies `cmds`, reconciles, plans, and reports starts. */
class MiniLeader {
  readonly s = new ControlState();
  at = 1;
  logged: ControlCommand[] = [];

  constructor(workers: number, cores = 4) {
    for (let i = 0; i < workers; i++) this.apply(joinCmd(`w${i}`, cores, 0));
  }

  apply(cmd: ControlCommand): void {
    const fx = this.s.apply(cmd);
    assert.ok(fx.outcome.ok, `${cmd.kind} refused: ${JSON.stringify(fx.outcome)}`);
    this.logged.push(cmd);
  }

  /** One cycle; `runNew`: report every scheduled replica running. */
  step(cmds: ControlCommand[] = [], runNew = true): void {
    this.at++;
    for (const c of cmds) this.apply({ ...c, at: this.at });
    for (const c of reconcileServices(this.s, this.s.services.takeDirty(), this.at)) this.apply(c);
    this.apply(planCmd(this.s, this.at));
    if (runNew) this.runScheduled();
  }

  runScheduled(): void {
    const reports = this.replicas()
      .filter((j) => j.state === 'scheduled')
      .map((j) => reportOf(this.s, j.name, 'replica', 'running', this.at));
    if (reports.length > 0) this.apply({ kind: 'reports', at: this.at, reports });
  }

  /** Settles: cancelled replicas are reported cancelled; a few cycles until nothing changes. */
  settle(): void {
    for (let i = 0; i < 6; i++) {
      const stopping = this.replicas().filter((j) => j.cancelRequested);
      const reports = stopping.flatMap((j) =>
        j.tasks[0]?.workerId ? [reportOf(this.s, j.name, 'replica', 'cancelled', this.at)] : [],
      );
      if (reports.length > 0) this.apply({ kind: 'reports', at: this.at, reports });
      this.step();
    }
  }

  replicas(): JobRecord[] {
    return this.s.services.liveReplicas('web').flatMap((n) => this.s.job(n) ?? []);
  }

  running(): JobRecord[] {
    return this.replicas().filter((j) => j.state === 'running' && !j.cancelRequested);
  }
}

const scale = (mode: ServiceScaleCommand['mode'], replicas: number, replica?: string): ControlCommand => ({
  kind: 'service-scale',
  at: 0,
  name: 'web',
  mode,
  replicas,
  ...(replica ? { replica } : {}),
});

describe('services in the control state', () => {
  test('a new service starts its minimum; at-least raises, exact sets, both clamped', () => {
    const m = new MiniLeader(3);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 2 }) }]);
    m.settle();
    assert.equal(m.running().length, 2);
    m.step([scale('at-least', 1)]); // lower than desired: no change
    m.settle();
    assert.equal(m.running().length, 2);
    m.step([scale('at-least', 9)]); // clamped to maxReplicas
    m.settle();
    assert.equal(m.running().length, 4);
    m.step([scale('exact', 0)]); // clamped to minReplicas
    m.settle();
    assert.equal(m.running().length, 2);
    assert.equal(m.s.services.get('web')?.desired, 2);
  });

  test('replica jobs are one task with exact cores, a published port, never restarted, fresh names', () => {
    const m = new MiniLeader(2);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 1, cores: 2 }) }]);
    const [r] = m.running();
    assert.ok(r);
    assert.equal(r.name, 'svc-web-1');
    assert.equal(r.tasks[0]?.coreIds.length, 2);
    assert.deepEqual(r.spec.tasks[0]?.ports, [{ containerPort: '8080/tcp', hostIp: '', hostPort: 0 }]);
    assert.equal(r.spec.restartPolicy.mode, 'never');
    // It exits: a new replica replaces it, under the next name.
    m.step([{ kind: 'reports', at: 0, reports: [reportOf(m.s, r.name, 'replica', 'failed', m.at)] }]);
    m.step();
    assert.deepEqual(
      m.running().map((j) => j.name),
      ['svc-web-2'],
    );
  });

  test('release stops that replica, never below the minimum; a stale release does nothing', () => {
    const m = new MiniLeader(3);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 1 }) }, scale('exact', 3)]);
    m.settle();
    const names = m.running().map((j) => j.name);
    assert.equal(names.length, 3);
    m.step([scale('release', 0, names[0])]);
    m.settle();
    assert.deepEqual(
      m.running().map((j) => j.name),
      names.slice(1),
    );
    m.step([scale('release', 0, names[1]), scale('release', 0, names[1])]);
    m.settle();
    m.step([scale('release', 0, names[2])]); // the minimum stays
    m.settle();
    assert.deepEqual(
      m.running().map((j) => j.name),
      [names[2]],
    );
  });

  test('a new image replaces replicas one at a time; running count never drops below desired', () => {
    const m = new MiniLeader(4);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 3 }) }]);
    m.settle();
    assert.equal(m.running().length, 3);
    m.step(
      [
        {
          kind: 'service-put',
          at: 0,
          spec: spec({ minReplicas: 3, image: 'rswarm/busybox:v2', healthGraceMs: 0 }),
        },
      ],
      false,
    );
    let maxPending = 0;
    for (let i = 0; i < 12; i++) {
      const pending = m.replicas().filter((j) => j.spec.service?.generation === 2 && j.state !== 'running');
      maxPending = Math.max(maxPending, pending.length);
      assert.ok(m.running().length >= 3, `step ${i}: ${m.running().length} running`);
      m.runScheduled();
      const stopping = m.replicas().filter((j) => j.cancelRequested && j.tasks[0]?.workerId);
      if (stopping.length > 0)
        m.apply({
          kind: 'reports',
          at: m.at,
          reports: stopping.map((j) => reportOf(m.s, j.name, 'replica', 'cancelled', m.at)),
        });
      m.step([], false);
    }
    assert.equal(maxPending, 1, 'one new replica pending at a time');
    assert.deepEqual(
      m.running().map((j) => j.spec.tasks[0]?.image),
      ['rswarm/busybox:v2', 'rswarm/busybox:v2', 'rswarm/busybox:v2'],
    );
  });

  test('delete cancels every replica; scaling an unknown service is refused', () => {
    const m = new MiniLeader(2);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 2 }) }]);
    m.step([{ kind: 'service-delete', at: 0, name: 'web' }]);
    assert.ok(m.replicas().every((j) => j.cancelRequested));
    m.settle();
    assert.equal(m.replicas().length, 0);
    assert.deepEqual(m.s.apply({ ...scale('exact', 1), at: 99 }).outcome, {
      ok: false,
      code: 'SERVICE_NOT_FOUND',
      reason: 'no service named "web"',
    });
  });

  test('a snapshot restores services, desired counts and the replica index; replaying the log agrees', () => {
    const m = new MiniLeader(3);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 2 }) }]);
    m.settle();
    const restored = ControlState.fromSnapshot(JSON.parse(JSON.stringify(m.s.toSnapshot())));
    const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
    assert.deepEqual(plain(restored.services.list()), plain(m.s.services.list()));
    assert.deepEqual(restored.services.liveReplicas('web').sort(), m.s.services.liveReplicas('web').sort());
    const replayed = new ControlState();
    for (const c of m.logged) replayed.apply(c);
    assert.deepEqual(replayed.toSnapshot(), m.s.toSnapshot());
    // Nothing more to do after a restore: the replicas are already there.
    assert.deepEqual(reconcileServices(restored, restored.services.takeDirty(), 1e9), []);
  });
});

describe('placement of replicas', () => {
  /** A round as the leader plans it: every pass, each applied before the next is planned. */
  function leaderRound(s: ControlState, at: number, strategy: string): void {
    for (const pass of roundPasses(strategy, s.services.size > 0)) {
      const cmd = planRound(s, at, {
        strategy: pass.strategy,
        agingPerSecond: 0,
        maxJobs: 100,
        round: at,
        ...(pass.only ? { only: pass.only } : {}),
      });
      if (cmd) assert.ok(s.apply(cmd).outcome.ok);
    }
  }
  const workersOf = (s: ControlState, service: string): string[] =>
    s.services
      .liveReplicas(service)
      .map((n) => s.job(n)?.tasks[0]?.workerId ?? 'none')
      .sort();

  for (const [placement, want] of [
    ['spread', ['w0', 'w1', 'w2']],
    ['pack', ['w0', 'w0', 'w0']],
  ] as const) {
    test(`placement ${placement} under the cluster's best-fit: ${want.join(', ')}`, () => {
      const s = new ControlState();
      for (let i = 0; i < 3; i++) s.apply(joinCmd(`w${i}`, 4, 0));
      s.apply({ kind: 'service-put', at: 1, spec: spec({ minReplicas: 3, placement }) });
      for (const c of reconcileServices(s, s.services.takeDirty(), 2)) s.apply(c);
      leaderRound(s, 3, 'best-fit');
      assert.deepEqual(workersOf(s, 'web'), want);
      // A batch job planned in a later round still follows the cluster's strategy (best-fit: the
      // fullest worker that fits).
      s.apply({ kind: 'submit', at: 4, spec: jobSpec('batch', [1]) });
      leaderRound(s, 5, 'best-fit');
      assert.equal(s.job('batch')?.tasks[0]?.workerId, 'w0');
    });
  }
});

describe('service documents', () => {
  const rules = { maxBodyBytes: 1e6, maxTasksPerJob: 10, volumeAllowList: [], minMemoryBytes: 4 * MiB };

  test('defaults fill what is left out', () => {
    const v = validateService({ name: 'api', image: 'busybox', port: 80 }, rules);
    assert.ok(v.ok);
    assert.equal(v.service.maxReplicas, SERVICE_DEFAULTS.maxReplicas);
    assert.equal(v.service.memoryBytes, 64 * MiB);
    assert.equal(v.service.placement, 'spread');
  });

  test('structure first (the schema), then meaning; each problem names its field', () => {
    const v = validateService(
      {
        name: 'Bad_Name',
        image: 'busybox;reboot',
        port: 0,
        memory: 'lots',
        minReplicas: 5,
        maxReplicas: 2,
        latency: { softMs: 10, hardMs: 5 },
        extra: 1,
      },
      rules,
    );
    assert.ok(!v.ok);
    const pointers = v.issues.map((i) => i.pointer).sort();
    assert.ok(pointers.includes('/name'), pointers.join(' '));
    assert.ok(pointers.includes('/port'), pointers.join(' '));
    assert.ok(pointers.includes('/extra'), pointers.join(' '));
    const semantic = validateService(
      {
        name: 'ok',
        image: 'busybox;reboot',
        port: 80,
        memory: 'lots',
        minReplicas: 5,
        maxReplicas: 2,
        latency: { softMs: 10, hardMs: 5 },
      },
      rules,
    );
    assert.ok(!semantic.ok);
    assert.deepEqual(semantic.issues.map((i) => i.pointer).sort(), [
      '/image',
      '/latency/softMs',
      '/memory',
      '/minReplicas',
    ]);
  });
});

/**
 * @module Services, issue 12 item 1: the image recorded by digest once a replica runs (pinned per
 * generation, new replicas created from it) and the rolling replace that waits for health (a
 * gateway's readiness report, or `healthGraceMs` of running for a service no gateway reports on).
 * Driven like the leader drives the state: apply, reconcile the dirty (or due) services, plan,
 * report. Also: snapshot + replay equality, and the worker's choice of the digest reference.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ControlState,
  LOAD_STALE_PERIODS,
  reconcileServices,
  type ControlCommand,
  type ServiceReadySample,
} from '../../core/control-state/index.js';
import type { JobRecord } from '../../core/model/records.js';
import type { ServiceSpec } from '../../core/services/index.js';
import { imageDigestOf, repositoryOf } from '../../worker/docker/image-digest.js';
import { MiB, joinCmd, planCmd, reportOf } from '../support/control-state-fixtures.js';

const DIGEST_A = `rswarm/busybox@sha256:${'a'.repeat(64)}`;
const DIGEST_B = `rswarm/busybox@sha256:${'b'.repeat(64)}`;

const spec = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name: 'web',
  image: 'rswarm/busybox:latest',
  command: ['httpd', '-f', '-p', '8080'],
  env: {},
  port: 8080,
  healthPath: '/',
  cores: 1,
  memoryBytes: 32 * MiB,
  minReplicas: 2,
  maxReplicas: 4,
  idleTimeoutMs: 60_000,
  priority: 0,
  placement: 'spread',
  latency: undefined,
  public: false,
  ...over,
});

/** The leader in miniature; time moves by `tick` ms per step. */
class MiniLeader {
  readonly s = new ControlState();
  at = 1_000;
  readonly logged: ControlCommand[] = [];

  constructor(
    workers: number,
    private readonly tick = 100,
  ) {
    for (let i = 0; i < workers; i++) this.apply(joinCmd(`w${i}`, 4, 0));
  }

  apply(cmd: ControlCommand): void {
    const fx = this.s.apply(cmd);
    assert.ok(fx.outcome.ok, `${cmd.kind} refused: ${JSON.stringify(fx.outcome)}`);
    this.logged.push(cmd);
  }

  /** One cycle: `cmds`, the reconcile of dirty and due services, a round, then `digest` starts. */
  step(cmds: ControlCommand[] = [], digest?: string): void {
    this.at += this.tick;
    for (const c of cmds) this.apply({ ...c, at: this.at });
    for (const c of reconcileServices(this.s, this.s.services.takeDirty(this.at), this.at)) this.apply(c);
    this.apply(planCmd(this.s, this.at));
    this.runScheduled(digest);
    this.stopCancelled();
  }

  runScheduled(digest?: string): void {
    const reports = this.replicas()
      .filter((j) => j.state === 'scheduled')
      .map((j) =>
        reportOf(this.s, j.name, 'replica', 'running', this.at, digest ? { imageDigest: digest } : {}),
      );
    if (reports.length > 0) this.apply({ kind: 'reports', at: this.at, reports });
  }

  stopCancelled(): void {
    const reports = this.replicas()
      .filter((j) => j.cancelRequested && j.tasks[0]?.workerId)
      .map((j) => reportOf(this.s, j.name, 'replica', 'cancelled', this.at));
    if (reports.length > 0) this.apply({ kind: 'reports', at: this.at, reports });
  }

  /** A gateway's report naming these replicas ready (every running one when omitted). */
  gateway(ready?: string[], source = 'gw1'): ControlCommand {
    const replicas =
      ready ??
      this.live()
        .filter((j) => j.state === 'running')
        .map((j) => j.name);
    const sample: ServiceReadySample = { name: 'web', replicas };
    return { kind: 'service-load', at: 0, source, periodMs: 1_000, samples: [], ready: [sample] };
  }

  replicas(): JobRecord[] {
    return this.s.services.liveReplicas('web').flatMap((n) => this.s.job(n) ?? []);
  }

  live(): JobRecord[] {
    return this.replicas().filter((j) => !j.cancelRequested);
  }

  ofGeneration(g: number): JobRecord[] {
    return this.live().filter((j) => j.spec.service?.generation === g);
  }
}

describe('the image by digest', () => {
  test('a running report records the digest on the task; the generation pins the first one', () => {
    const m = new MiniLeader(3);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 1 }) }], DIGEST_A);
    const [first] = m.live();
    assert.equal(first?.tasks[0]?.imageDigest, DIGEST_A);
    assert.equal(first?.spec.tasks[0]?.image, 'rswarm/busybox:latest', 'created before any digest');
    assert.equal(m.s.services.get('web')?.imageDigest, DIGEST_A);
    // Scaled up: new replicas of this generation are created from the pinned reference, and a
    // later digest (the tag moved under a replica started meanwhile) does not replace the pin.
    m.step([{ kind: 'service-scale', at: 0, name: 'web', mode: 'exact', replicas: 3 }], DIGEST_B);
    const added = m.live().filter((j) => j.name !== first?.name);
    assert.equal(added.length, 2);
    for (const j of added) assert.equal(j.spec.tasks[0]?.image, DIGEST_A);
    assert.equal(m.s.services.get('web')?.imageDigest, DIGEST_A);
  });

  test('a running report without a digest (an older worker) records and pins nothing', () => {
    const m = new MiniLeader(2);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ minReplicas: 1 }) }]);
    assert.equal(m.live()[0]?.state, 'running');
    assert.equal(m.live()[0]?.tasks[0]?.imageDigest, undefined);
    assert.equal(m.s.services.get('web')?.imageDigest, undefined);
  });

  test('a new definition starts unpinned and pins the digest its own first replica runs', () => {
    const m = new MiniLeader(4);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ healthGraceMs: 0 }) }], DIGEST_A);
    m.step();
    assert.equal(m.s.services.get('web')?.imageDigest, DIGEST_A);
    // The new definition as applied, before its first replica runs: unpinned.
    m.apply({ kind: 'service-put', at: m.at, spec: spec({ healthGraceMs: 0, env: { V: '2' } }) });
    const r = m.s.services.get('web');
    assert.equal(r?.generation, 2);
    assert.ok(!('imageDigest' in (r ?? {})), 'the key is gone, not undefined');
    // Its first replica is created from the tag and runs with B: generation 2 pins B (an old
    // replica's report, of generation 1, would not), and the next one is created from it.
    m.step([], DIGEST_B);
    assert.equal(m.ofGeneration(2)[0]?.spec.tasks[0]?.image, 'rswarm/busybox:latest');
    assert.equal(m.s.services.get('web')?.imageDigest, DIGEST_B);
    for (let i = 0; i < 6; i++) m.step([], DIGEST_B);
    const images = m.live().map((j) => j.spec.tasks[0]?.image);
    assert.deepEqual(images, ['rswarm/busybox:latest', DIGEST_B]);
  });
});

describe('the rolling replace waits for health', () => {
  /** Two replicas of generation 1 running, then a new definition. */
  function rolling(over: Partial<ServiceSpec>, tick = 100): MiniLeader {
    const m = new MiniLeader(4, tick);
    m.step([{ kind: 'service-put', at: 0, spec: spec(over) }]);
    m.step();
    assert.equal(m.ofGeneration(1).filter((j) => j.state === 'running').length, 2);
    return m;
  }

  test('with a gateway: running is not enough; each ready report lets one old replica go', () => {
    const m = rolling({});
    m.step([m.gateway()]);
    m.step([{ kind: 'service-put', at: 0, spec: spec({ env: { V: '2' } }) }]);
    const [n1] = m.ofGeneration(2);
    assert.equal(n1?.state, 'running');
    // The gateway has not found it ready: both old replicas stay, no second new one.
    for (let i = 0; i < 5; i++) m.step([m.gateway(m.ofGeneration(1).map((j) => j.name))]);
    assert.equal(m.ofGeneration(1).length, 2);
    assert.equal(m.ofGeneration(2).length, 1);
    // Ready: one old replica is cancelled and the next new one started.
    m.step([m.gateway()]);
    assert.equal(m.ofGeneration(1).length, 1);
    assert.equal(m.ofGeneration(2).length, 2);
    m.step([m.gateway()]);
    m.step([m.gateway()]);
    assert.equal(m.ofGeneration(1).length, 0);
    assert.equal(m.ofGeneration(2).length, 2);
  });

  test('the ready count never drops below the desired count during the replace', () => {
    const m = rolling({});
    m.step([{ kind: 'service-put', at: 0, spec: spec({ env: { V: '2' } }) }, m.gateway()]);
    const ready = new Set<string>();
    for (let i = 0; i < 30; i++) {
      // The gateway finds a replica ready one step after it runs.
      const report = m.gateway([...ready].filter((n) => m.live().some((j) => j.name === n)));
      for (const j of m.live()) if (j.state === 'running') ready.add(j.name);
      m.step([report]);
      const readyLive = m.live().filter((j) => ready.has(j.name) && j.state === 'running');
      assert.ok(readyLive.length >= 2, `step ${i}: ${readyLive.length} ready`);
      assert.ok(m.ofGeneration(2).filter((j) => !ready.has(j.name)).length <= 1, 'one pending at a time');
    }
    assert.equal(m.ofGeneration(1).length, 0);
  });

  test('without a gateway: ready after healthGraceMs of running, woken by the leader then', () => {
    const m = rolling({ healthGraceMs: 1_000 });
    m.step([{ kind: 'service-put', at: 0, spec: spec({ env: { V: '2' }, healthGraceMs: 1_000 }) }]);
    const [n1] = m.ofGeneration(2);
    const since = n1?.startedAt as number;
    assert.equal(m.s.services.nextWake(), undefined, 'nothing runs yet at the first reconcile');
    m.step();
    assert.equal(m.s.services.nextWake(), since + 1_000, 'the reconcile asks to look again then');
    // Nothing changes: only the wake-up brings the service back to the reconcile.
    assert.deepEqual(m.s.services.takeDirty(since + 999), []);
    assert.deepEqual(m.s.services.takeDirty(since + 1_000), ['web']);
    m.s.services.wakeAt('web', since + 1_000); // given back for the leader's steps below
    while (m.at + 100 < since + 1_000) m.step();
    assert.equal(m.ofGeneration(1).length, 2, 'still in its grace period');
    m.step();
    assert.equal(m.ofGeneration(1).length, 1);
    assert.equal(m.ofGeneration(2).length, 2);
  });

  test("a gateway's stale report stops counting: the grace period decides", () => {
    const m = rolling({ healthGraceMs: 500 });
    m.step([
      { kind: 'service-put', at: 0, spec: spec({ env: { V: '2' }, healthGraceMs: 500 }) },
      m.gateway(),
    ]);
    m.step([m.gateway(m.ofGeneration(1).map((j) => j.name))]);
    const reportedAt = m.at;
    while (m.at <= reportedAt + LOAD_STALE_PERIODS * 1_000) {
      assert.equal(m.ofGeneration(1).length, 2, `t+${m.at - reportedAt}: the gateway still speaks`);
      m.step();
    }
    m.step();
    assert.equal(m.ofGeneration(1).length, 1);
  });

  test('snapshot + replay: digests and readiness restore and replay to the same state', () => {
    const m = rolling({});
    m.step([{ kind: 'service-put', at: 0, spec: spec({ env: { V: '2' } }) }, m.gateway()], DIGEST_A);
    for (let i = 0; i < 4; i++) m.step([m.gateway()], DIGEST_A);
    const snap = m.s.toSnapshot();
    assert.ok((snap.serviceReady ?? []).length > 0);
    assert.equal(m.s.services.get('web')?.imageDigest, DIGEST_A);
    const restored = ControlState.fromSnapshot(JSON.parse(JSON.stringify(snap)));
    assert.deepEqual(JSON.parse(JSON.stringify(restored.toSnapshot())), JSON.parse(JSON.stringify(snap)));
    const replayed = new ControlState();
    for (const c of m.logged) assert.ok(replayed.apply(c).outcome.ok);
    assert.deepEqual(replayed.toSnapshot(), snap);
    assert.deepEqual(restored.serviceReady.readyOf('web', m.at), m.s.serviceReady.readyOf('web', m.at));
  });
});

describe('the worker names the image by digest', () => {
  const id = `sha256:${'c'.repeat(64)}`;
  for (const [image, repoDigests, want] of [
    ['busybox', [`busybox@sha256:${'d'.repeat(64)}`], `busybox@sha256:${'d'.repeat(64)}`],
    [
      'docker.io/library/busybox:1.36',
      [`busybox@sha256:${'d'.repeat(64)}`],
      `busybox@sha256:${'d'.repeat(64)}`,
    ],
    [
      'registry:5000/team/app:v2',
      [`other@sha256:${'e'.repeat(64)}`, `registry:5000/team/app@sha256:${'f'.repeat(64)}`],
      `registry:5000/team/app@sha256:${'f'.repeat(64)}`,
    ],
    ['rswarm/busybox:latest', [], id],
    ['rswarm/busybox:latest', null, id],
    ['app', [`other@sha256:${'e'.repeat(64)}`], id],
  ] as const) {
    test(`${image} with ${JSON.stringify(repoDigests)} → ${want.slice(0, 24)}…`, () => {
      assert.equal(imageDigestOf({ Id: id, RepoDigests: repoDigests }, image), want);
    });
  }

  test('an id that is not a digest gives nothing; repositories drop tag, digest and Hub prefixes', () => {
    assert.equal(imageDigestOf({ Id: 'not-a-digest', RepoDigests: [] }, 'app'), undefined);
    assert.equal(repositoryOf('localhost:5000/app:1'), 'localhost:5000/app');
    assert.equal(repositoryOf('library/busybox@sha256:0'), 'busybox');
  });
});

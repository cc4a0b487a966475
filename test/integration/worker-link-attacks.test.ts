/**
 * @module Issue 11 "Show it": the worker-link attacks on the real services (FerretDB, Redis,
 * dockerd), against an all-in-one control plane with CurveZMQ, ZAP and routing proofs and a real
 * Docker worker. Raw ZeroMQ DEALERs (test/support/link-peers.ts) play the attacker: a rogue
 * `dispatch` mounting the host's `/` and Docker socket creates no container; a DEALER reusing the
 * worker's routing id gets none of its assignments and does not get it marked lost; a forged
 * `finished` report leaves a running job running; a rogue `leave` leaves the worker joined (the
 * worker binds no socket: a leave can only come through the GlobalManager); tokenless,
 * wrong-token and wrong-key enrolments add no worker, and the main socket enrols nobody. Each
 * attack is followed by the honest message on the same path, which works, so the waits are long
 * enough and the attacks well-formed. A copied routing proof used with a stranger's key gets
 * nowhere: the GlobalManager's main socket and Discovery admit enrolled keys only (enrolment has
 * a socket of its own). A rogue cancel over the JobManager's control link changes nothing.
 * Every container and network is this file's own (unique names) and removed afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { LABELS } from '../../core/model/index.js';
import { PROTOCOL_VERSION, type Message } from '../../core/protocol/index.js';
import {
  controlPlaneKeys,
  controlPrincipal,
  provenRoutingId,
  workerLinkKeys,
} from '../../core/security/index.js';
import { Dealer } from 'zeromq';
import { silentLogger } from '../../core/log/logger.js';
import { CONTROL_LINK_VERSION, ZmqControlClient } from '../../core/transport/index.js';
import { dockerClientFor } from '../../worker/docker-runtime.js';
import { startCluster, waitFor, type Cluster } from '../support/control-plane-harness.js';
import { connectPeer, enrolAt, joinOf, newKeys, sleep, type Peer } from '../support/link-peers.js';
import { removeContainerIfPresent, SERVICES, uniqueName } from '../support/services.js';

const docker = dockerClientFor(SERVICES.dockerHost);
/** How long an attack is given to take effect before its absence is asserted. */
const WINDOW_MS = 2000;
const DOCKER_SOCKET = SERVICES.dockerHost.startsWith('unix://')
  ? SERVICES.dockerHost.slice('unix://'.length)
  : '/var/run/docker.sock';

describe('worker-link attacks on the real services', { timeout: 240_000 }, () => {
  let c: Cluster;
  const workerId = uniqueName('rswarm-it-link');
  const jobs: string[] = [];
  const peers: Peer[] = [];
  let keys: ReturnType<typeof controlPlaneKeys>;
  let gmEndpoint: string;
  let discoveryEndpoint: string;

  before(async () => {
    c = await startCluster({
      realBackends: true,
      workers: [
        { workerId, runtime: 'docker', coreIds: cpus().map((_c, i) => i), memoryBytes: 512 * 1024 ** 2 },
      ],
    });
    ({ managerEndpoint: gmEndpoint, discoveryEndpoint } = c.config.cluster);
    keys = controlPlaneKeys(c.config.cluster.keysDir, c.config.cluster.joinToken);
    await waitFor('the docker worker joined', async () =>
      (await workers()).some((w) => w.id === workerId && w.state === 'ready') ? true : undefined,
    );
  });

  after(async () => {
    for (const p of peers) p.close();
    await c?.close();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.worker}=${workerId}`] },
    });
    for (const info of left) await removeContainerIfPresent(docker.getContainer(info.Id));
    for (const job of jobs) {
      const nets = await docker.listNetworks({ filters: { label: [`${LABELS.job}=${job}`] } });
      for (const n of nets)
        await docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined);
    }
  });

  const newJob = (): string => {
    const name = uniqueName('rswarm-it-link-job');
    jobs.push(name);
    return name;
  };
  const peer = (endpoint: string, opts: Parameters<typeof connectPeer>[1]): Peer => {
    const p = connectPeer(endpoint, opts);
    peers.push(p);
    // A peer that completed no handshake has its first send pending for good: later ones throw.
    const send = async (m: Message): Promise<void> => {
      try {
        await p.send(m);
      } catch {
        // not sent: the transport refused it
      }
    };
    return { ...p, send };
  };
  /** The two attackers of every test: plaintext, and a fresh (unenrolled) curve key. */
  const attackers = (endpoint: string, principal: string): Peer[] => [
    peer(endpoint, { routingId: principal }),
    peer(endpoint, {
      principal,
      curve: { keyPair: newKeys(), serverPublicKey: keys.client.serverPublicKey },
    }),
  ];
  const workers = async (): Promise<{ id: string; state: string; tasks: string[] }[]> =>
    (await c.api('GET', '/api/v1/workers')).body;
  const jobOf = async (name: string) => (await c.api('GET', `/api/v1/jobs/${name}`)).body;
  const containersOf = (job: string) =>
    docker.listContainers({ all: true, filters: { label: [`${LABELS.job}=${job}`] } });
  const inControl = async (): Promise<string> =>
    JSON.stringify([
      (await workers()).map(({ lastHeartbeatAt: _l, rtt: _r, ...w }: Record<string, unknown>) => w),
      (await c.api('GET', '/api/v1/jobs')).body,
    ]);
  /** The docker worker is joined, heartbeating and not lost. */
  async function assertJoined(): Promise<void> {
    assert.equal(c.workers[0]?.getState(), 'active', 'the worker agent is still active');
    assert.ok(c.plane.globalManager?.connectedWorkers().includes(workerId), 'the worker keeps its session');
    assert.equal((await workers()).find((w) => w.id === workerId)?.state, 'ready', 'the worker is ready');
  }
  async function submit(command: string[]): Promise<string> {
    const name = newJob();
    const res = await c.api('POST', '/api/v1/jobs', {
      name,
      restartPolicy: { mode: 'never' },
      tasks: [
        { name: 't1', image: SERVICES.testImage, cores: 1, memory: '16m', command, env: { SECRET: 's' } },
      ],
    });
    assert.equal(res.status, 202, res.text);
    return name;
  }
  const jobIn = (name: string, state: string, ms = 60_000) =>
    waitFor(
      `job ${name} ${state}`,
      async () => ((await jobOf(name))?.state === state ? jobOf(name) : undefined),
      ms,
    );

  /** A dispatch of two tasks for the worker: one mounting `/` and the Docker socket, one plain. */
  const hostRoot = [
    { hostPath: '/', containerPath: '/host', readOnly: false },
    { hostPath: DOCKER_SOCKET, containerPath: '/var/run/docker.sock', readOnly: false },
  ];
  const dispatchOf = (job: string): Message => ({
    type: 'dispatch',
    v: PROTOCOL_VERSION,
    assign: (['root', 'plain'] as const).map((task) => ({
      workerId,
      job,
      task,
      attempt: 0,
      containerName: `${job}_${task}`,
      image: SERVICES.testImage,
      command: ['sleep', '60'],
      coreIds: [0],
      memoryBytes: 0,
      env: {},
      ports: [],
      volumes: task === 'root' ? hostRoot : [],
      network: null,
      runSeconds: null,
    })),
    stop: [],
  });

  test('rogue dispatch (plaintext, unenrolled key) runs no container; the control plane’s does', async () => {
    const before = await inControl();
    const rogue = newJob();
    for (const p of attackers(gmEndpoint, controlPrincipal('dispatch'))) await p.send(dispatchOf(rogue));
    await sleep(WINDOW_MS);
    assert.deepEqual(await containersOf(rogue), [], 'no container of the rogue job');
    assert.equal(
      c.workers[0]?.getTasks().filter((t) => t.ref.job === rogue).length,
      0,
      'the worker got nothing',
    );
    assert.equal(await inControl(), before, 'workers and jobs unchanged');

    // The same dispatch from a control peer with the control plane's key reaches the worker.
    const honest = newJob();
    const control = peer(gmEndpoint, { principal: controlPrincipal('dispatch'), curve: keys.client });
    await control.send(dispatchOf(honest));
    await waitFor('the honest plain task running', async () =>
      (await containersOf(honest)).find((i) => i.State === 'running'),
    );
    const root = await waitFor('the honest / mount refused by the worker', () =>
      Promise.resolve(
        c.workers[0]?.getTasks().find((t) => t.ref.job === honest && t.ref.task === 'root' && t.reason),
      ),
    );
    assert.match(root.reason ?? '', /volume \/:\/host refused/);
    await control.send({
      type: 'dispatch',
      v: PROTOCOL_VERSION,
      assign: [],
      stop: ['root', 'plain'].map((task) => ({ workerId, job: honest, task, attempt: 0 })),
    });
  });

  test('hijack by routing id: impostors get no assignment; the job runs on the real worker', async () => {
    const guessed = `${workerId}~${'A'.repeat(43)}`;
    const curve = () => ({ keyPair: newKeys(), serverPublicKey: keys.client.serverPublicKey });
    const hijackers = [
      ...attackers(gmEndpoint, workerId),
      peer(gmEndpoint, { routingId: workerId, curve: curve() }),
      peer(gmEndpoint, { routingId: guessed, curve: curve() }),
    ];
    const beat = async () => {
      for (const h of hijackers)
        await h.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId, at: Date.now() });
    };
    for (const h of hijackers) await h.send(joinOf(workerId, ''));
    const job = await submit(['sleep', '30']);
    const running = await jobIn(job, 'running');
    assert.equal(running.tasks[0].worker, workerId);
    // Past the heartbeat timeout (1.5 s), impostors heartbeating all along.
    for (let i = 0; i < 10; i++) await Promise.all([beat(), sleep(250)]);
    for (const h of hijackers)
      assert.deepEqual(
        h.received.filter((m) => m.type === 'sync' || m.type === 'assign'),
        [],
      );
    await assertJoined();
    assert.equal((await containersOf(job))[0]?.State, 'running');
    await c.api('DELETE', `/api/v1/jobs/${job}`);
  });

  test('a forged `finished` report leaves the job running and booked; the real one ends it', async () => {
    const job = await submit(['sleep', '8']);
    const running = await jobIn(job, 'running');
    const task = running.tasks[0];
    assert.equal(task.worker, workerId);
    const forged = (id: string): Message => ({
      type: 'report',
      v: PROTOCOL_VERSION,
      id,
      job,
      task: task.name,
      attempt: task.attempts - 1,
      workerId: task.worker,
      state: 'finished',
      exitCode: 0,
      reason: null,
      at: Date.now(),
    });
    const forgers = attackers(discoveryEndpoint, workerId);
    for (const [i, f] of forgers.entries()) await f.send(forged(`forged-${i}`));
    await sleep(WINDOW_MS);
    const now = await jobOf(job);
    assert.equal(now.state, 'running');
    assert.equal(now.tasks[0].state, 'running');
    assert.ok((await workers()).find((w) => w.id === workerId)?.tasks.includes(`${job}/t1`), 'still booked');
    assert.equal((await containersOf(job))[0]?.State, 'running', 'the container keeps running');
    for (const f of forgers) assert.deepEqual(f.received, [], 'no ack for a forged report');
    // The worker's own report of the same end, through the same Discovery, is applied.
    const finished = await jobIn(job, 'finished', 30_000);
    assert.equal(finished.tasks[0].exitCode, 0);
    await waitFor('the booking freed', async () =>
      (await workers()).find((w) => w.id === workerId)?.tasks.includes(`${job}/t1`) ? undefined : true,
    );
  });

  test('a rogue `leave` (command or raw, at either port) leaves the worker joined', async () => {
    const leave = (id: string): Message => ({
      type: 'command',
      v: PROTOCOL_VERSION,
      id,
      workerId,
      command: { kind: 'leave' },
    });
    for (const [i, p] of attackers(gmEndpoint, controlPrincipal('command')).entries()) {
      await p.send(leave(`rogue-${i}`));
      await p.send({ type: 'leave', v: PROTOCOL_VERSION });
    }
    for (const [i, p] of attackers(discoveryEndpoint, controlPrincipal('command')).entries())
      await p.send(leave(`rogue-discovery-${i}`));
    await sleep(WINDOW_MS);
    await assertJoined();
    // A control peer's command, sent after, goes through the GlobalManager to the worker and back.
    const control = peer(gmEndpoint, { principal: controlPrincipal('command'), curve: keys.client });
    const ref = { job: 'nothing', task: 't1', attempt: 0 };
    await control.send({
      type: 'command',
      v: PROTOCOL_VERSION,
      id: 'honest',
      workerId,
      command: { kind: 'update', task: ref, coreIds: [0], memoryBytes: 0 },
    });
    const answer = await waitFor('the honest command answered', () =>
      Promise.resolve(control.received.find((m) => m.type === 'commandResult')),
    );
    assert.equal(answer.type === 'commandResult' && answer.outcome, 'unknown-task');
  });

  test('tokenless, wrong-token, plaintext and wrong-key enrolments add no worker; an honest one does', async () => {
    const token = keys.joinToken;
    const enrolEndpoint = c.config.cluster.enrolEndpoint;
    const server = keys.client.serverPublicKey;
    const reason = async (id: string, joinToken: string): Promise<string | undefined> => {
      const answer = await enrolAt(enrolEndpoint, id, joinToken, newKeys(), server);
      return answer?.type === 'reject' ? answer.reason : answer?.type;
    };
    assert.equal(await reason(uniqueName('rswarm-it-rogue'), ''), 'join token refused');
    assert.equal(await reason(uniqueName('rswarm-it-rogue'), 'guess'), 'join token refused');
    assert.equal(await reason(workerId, token), 'key not enrolled: id-taken');
    const plaintext = peer(enrolEndpoint, { routingId: uniqueName('rswarm-it-rogue') });
    await plaintext.send(joinOf('rswarm-it-plain', token));
    // The main socket enrols nobody: an unknown key with the right token completes no handshake.
    const keyPair = newKeys();
    const direct = peer(gmEndpoint, {
      principal: 'rswarm-it-direct',
      curve: { keyPair, serverPublicKey: server },
    });
    await direct.send(joinOf('rswarm-it-direct', token, keyPair.publicKey));
    await sleep(WINDOW_MS);
    assert.deepEqual(plaintext.received, [], 'a plaintext peer completes no handshake');
    assert.deepEqual(direct.received, [], 'an unknown key is not admitted at the main socket');
    assert.deepEqual(
      (await workers()).map((w) => w.id),
      [workerId],
    );
    await assertJoined();
    // An honest newcomer: enrolled with the token at the enrolment socket, then joined.
    const id = uniqueName('rswarm-it-new');
    const own = newKeys();
    assert.equal((await enrolAt(enrolEndpoint, id, token, own, server))?.type, 'enrolled');
    const newcomer = peer(gmEndpoint, { principal: id, curve: { keyPair: own, serverPublicKey: server } });
    await newcomer.send(joinOf(id, '', own.publicKey));
    await waitFor('the newcomer synced', () =>
      Promise.resolve(newcomer.received.find((m) => m.type === 'sync')),
    );
    assert.equal((await workers()).length, 2);
  });

  test('the JobManager control link: a plaintext peer and the enrolled worker key cannot cancel a job', async () => {
    const job = await submit(['sleep', '30']);
    await jobIn(job, 'running');
    const cancel = JSON.stringify({
      v: CONTROL_LINK_VERSION,
      type: 'intent',
      id: 'rogue-cancel',
      intent: { kind: 'cancel', job },
    });
    const own = workerLinkKeys(c.config.cluster.keysDir, workerId, '');
    const rogues = [
      new Dealer({ linger: 0 }),
      new Dealer({
        linger: 0,
        curveServerKey: own.serverPublicKey,
        curvePublicKey: own.keyPair.publicKey,
        curveSecretKey: own.keyPair.secretKey,
      }),
    ];
    const answers: unknown[] = [];
    for (const d of rogues) {
      d.connect(c.config.cluster.jobManagerEndpoint);
      void (async () => {
        try {
          for await (const [f] of d) answers.push(String(f));
        } catch {
          // closed
        }
      })();
      // A send over a refused handshake never completes: bounded.
      await Promise.race([d.send(cancel).catch(() => undefined), sleep(500)]);
    }
    await sleep(WINDOW_MS);
    for (const d of rogues) d.close();
    assert.deepEqual({ state: (await jobOf(job)).state, answers }, { state: 'running', answers: [] });
    // The same intent from a peer holding the control plane's key is applied.
    const control = new ZmqControlClient(
      [c.config.cluster.jobManagerEndpoint],
      silentLogger(),
      {},
      keys.client,
    );
    try {
      assert.deepEqual(await control.propose({ kind: 'cancel', job }), { ok: true });
    } finally {
      await control.close();
    }
    await jobIn(job, 'cancelled');
  });

  test('a copied proven routing id, presented with another key, neither joins as the worker nor forges its reports', async () => {
    const job = await submit(['sleep', '30']);
    const task = (await jobIn(job, 'running')).tasks[0];
    // What an attacker holding the routing id, not the key, presents (computed here from the key).
    const own = workerLinkKeys(c.config.cluster.keysDir, workerId, '');
    const curve = { keyPair: newKeys(), serverPublicKey: own.serverPublicKey };
    const routingId = provenRoutingId(workerId, own.keyPair, own.serverPublicKey);
    const forger = peer(discoveryEndpoint, { routingId, curve });
    await forger.send({
      ...{ type: 'report', v: PROTOCOL_VERSION, id: 'copied', job, task: 't1', attempt: task.attempts - 1 },
      ...{ workerId, state: 'finished', exitCode: 0, reason: null, at: Date.now() },
    });
    await sleep(WINDOW_MS);
    // The same copied proof at the GlobalManager: a join and a heartbeat as the worker.
    const thief = peer(gmEndpoint, { routingId, curve });
    await thief.send(joinOf(workerId, ''));
    await thief.send({ type: 'heartbeat', v: PROTOCOL_VERSION, workerId, at: Date.now() });
    // Both admit enrolled keys only: the stranger's handshakes fail, nothing is read.
    assert.deepEqual(
      { job: (await jobOf(job)).state, acks: forger.received, thief: thief.received },
      { job: 'running', acks: [], thief: [] },
    );
    await assertJoined();
  });
});

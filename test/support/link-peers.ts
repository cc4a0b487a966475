/**
 * Raw ZeroMQ peers for the worker-link tests: honest workers, control peers and attackers, each a
 * DEALER whose received messages are collected for inspection.
 */
import { Dealer, curveKeyPair } from 'zeromq';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type Message } from '../../core/protocol/index.js';
import { clientSocketOptions, type CurveKeyPair } from '../../core/security/index.js';

/** One DEALER and everything it received. */
export interface Peer {
  readonly received: Message[];
  send(m: Message): Promise<void>;
  close(): void;
}

/**
 * Connects a DEALER. `curve`: its key pair and the server's key (routing id proven for
 * `principal` unless `routingId` overrides it); absent, plaintext.
 */
export function connectPeer(
  endpoint: string,
  opts: {
    principal?: string;
    routingId?: string;
    curve?: { keyPair: CurveKeyPair; serverPublicKey: string };
  },
): Peer {
  const curve = opts.curve ? clientSocketOptions(opts.curve, opts.principal ?? 'anonymous') : {};
  const socket = new Dealer({
    linger: 0,
    ...curve,
    ...(opts.routingId ? { routingId: opts.routingId } : {}),
  });
  socket.connect(endpoint);
  const received: Message[] = [];
  void (async () => {
    try {
      for await (const [frame] of socket) {
        const d = decodeMessage(frame as Buffer);
        if (d.ok) received.push(d.message);
      }
    } catch {
      // closed
    }
  })();
  return {
    received,
    // A send to a peer whose handshake failed would wait forever: bounded.
    send: (m) =>
      Promise.race([
        socket.send(encodeMessage(m)),
        new Promise<void>((resolve) => setTimeout(resolve, 500).unref()),
      ]),
    close: () => socket.close(),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh key pair. */
export const newKeys = (): CurveKeyPair => curveKeyPair();

/** A join of `workerId` with two cores. */
export function joinOf(workerId: string, joinToken: string, publicKey?: string): Message {
  return {
    type: 'join',
    v: PROTOCOL_VERSION,
    workerId,
    joinToken,
    ...(publicKey ? { publicKey } : {}),
    runtime: 'simulated',
    coreIds: [0, 1],
    memoryBytes: 1024 ** 3,
    running: [],
  };
}

/**
 * Enrols `keyPair` as `workerId` at the GlobalManager's enrolment socket (what a worker does
 * before anything else) and returns the answer: `enrolled`, a `reject` with its reason, or
 * undefined when none came within `ms` (a refused handshake answers nothing).
 */
export async function enrolAt(
  enrolEndpoint: string,
  workerId: string,
  joinToken: string,
  keyPair: CurveKeyPair,
  serverPublicKey: string,
  ms = 3000,
): Promise<Message | undefined> {
  const p = connectPeer(enrolEndpoint, { principal: workerId, curve: { keyPair, serverPublicKey } });
  try {
    await p.send(joinOf(workerId, joinToken, keyPair.publicKey));
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const answer = p.received.find((m) => m.type === 'enrolled' || m.type === 'reject');
      if (answer) return answer;
      await sleep(20);
    }
    return undefined;
  } finally {
    p.close();
  }
}

/** One assignment of job `job` for the dispatch tests. */
export function assignmentFor(workerId: string, job: string) {
  return {
    workerId,
    job,
    task: 't0',
    attempt: 0,
    containerName: `${job}-t0`,
    image: 'busybox',
    command: null,
    coreIds: [0],
    memoryBytes: 1024,
    env: { SECRET: 'x' },
    ports: [],
    volumes: [{ hostPath: '/', containerPath: '/host', readOnly: false }],
    network: null,
    runSeconds: 1,
  };
}

import { PROTOCOL_VERSION, WORKER_FEATURES, type Message, type TaskRef } from '../core/protocol/index.js';
import type { ContainerRuntime } from './container-runtime.js';
import type { WorkerOptions } from './worker-options.js';

/**
 * The worker's `join` (also its enrolment request on a secured link): who it is, its capacity,
 * the attempts it runs now, and the protocol features it speaks (e.g. answering pings).
 * @param running the attempts this worker runs now
 */
export function joinMessageOf(
  o: WorkerOptions,
  runtime: ContainerRuntime['kind'],
  running: TaskRef[],
): Message {
  return {
    type: 'join',
    v: PROTOCOL_VERSION,
    workerId: o.workerId,
    joinToken: o.joinToken,
    ...(o.security ? { publicKey: o.security.keyPair.publicKey } : {}),
    runtime,
    coreIds: [...o.coreIds],
    memoryBytes: o.memoryBytes,
    running,
    features: [...WORKER_FEATURES],
  };
}

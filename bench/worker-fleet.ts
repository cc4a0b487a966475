/**
 * Simulated workers in their own process, as remote machines would be: the control plane under
 * test does not pay for their sockets, codecs and timers. Run by bench/e2e-bench.ts.
 *
 *   tsx bench/worker-fleet.ts '{"managerEndpoint":…,"discoveryEndpoint":…,"prefix":"bench-",
 *                              "count":1000,"cores":32,"memoryBytes":68719476736,
 *                              "heartbeatIntervalMs":2000}'
 *
 * Prints `ready` once every worker has started (joins complete in the background), then runs
 * until its stdin closes or it gets SIGTERM, and closes the workers.
 */
import { context } from 'zeromq';
import { silentLogger } from '../core/log/logger.js';
import { workerJoinToken, workerLinkKeys } from '../core/security/index.js';
import { startWorker } from '../worker/main.js';
import type { WorkerAgent } from '../worker/worker-agent.js';

interface FleetSpec {
  readonly managerEndpoint: string;
  readonly discoveryEndpoint: string;
  /** Where the workers enrol their keys (CurveZMQ link). */
  readonly enrolEndpoint?: string;
  readonly prefix: string;
  readonly count: number;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly heartbeatIntervalMs: number;
  /** The cluster's keys directory (CurveZMQ link); absent: plaintext. */
  readonly keysDir?: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as FleetSpec;
// Two sockets per worker; libzmq's default cap is 1023.
context.maxSockets = Math.max(context.maxSockets, spec.count * 2 + 64);
const agents: WorkerAgent[] = [];
for (let i = 0; i < spec.count; i++) {
  agents.push(
    await startWorker(
      {
        workerId: `${spec.prefix}${i}`,
        managerEndpoint: spec.managerEndpoint,
        discoveryEndpoint: spec.discoveryEndpoint,
        runtime: 'simulated',
        coreIds: Array.from({ length: spec.cores }, (_, k) => k),
        memoryBytes: spec.memoryBytes,
        heartbeatIntervalMs: spec.heartbeatIntervalMs,
        ...(spec.keysDir
          ? {
              joinToken: workerJoinToken(spec.keysDir, ''),
              security: workerLinkKeys(spec.keysDir, `${spec.prefix}${i}`, ''),
              ...(spec.enrolEndpoint ? { enrolEndpoint: spec.enrolEndpoint } : {}),
            }
          : {}),
      },
      silentLogger(),
    ),
  );
}
process.stdout.write('ready\n');

let closing = false;
async function stop(): Promise<void> {
  if (closing) return;
  closing = true;
  await Promise.all(agents.map((a) => a.close()));
  process.exit(0);
}
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());

import type { Clock } from '../core/clock/clock.js';
import type { Logger } from '../core/log/logger.js';
import type { ContainerRuntime } from './container-runtime.js';

/**
 * Lifecycle of a {@link WorkerAgent}:
 * - `created`: built, not connected.
 * - `joining`: `run()` adopted what the runtime has and sent a join; waiting for the manager's
 *   first `sync` (also re-entered on a `reject` asking to re-join).
 * - `active`: the manager has answered with a `sync`; the agent converges on what it is sent.
 * - `closing`: `close()`, `leave` or a final `reject`; no new tasks are started.
 * - `closed`: sockets and runtime released; the process may exit.
 */
export type WorkerAgentState = 'created' | 'joining' | 'active' | 'closing' | 'closed';

/** The agent's ports, injected so tests can drive time and run tasks without Docker. */
export interface WorkerAgentDeps {
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
  readonly logger: Logger;
}

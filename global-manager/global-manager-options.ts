import type { Clock } from '../core/clock/clock.js';
import type { ControlLink } from '../core/control-state/index.js';
import type { Logger } from '../core/log/logger.js';
import type { ServerLinkSecurity } from '../core/security/index.js';
import type { Stores } from '../core/store/store-ports.js';

// The GlobalManager's options, ports and lifecycle, apart from the class so the pieces it is
// built from (command relay, liveness) can name them without importing the GlobalManager.

/** Options of the GlobalManager. */
export interface GlobalManagerOptions {
  /** ZeroMQ ROUTER address workers and control peers connect to. */
  readonly endpoint: string;
  /**
   * Secret a worker presents once to enrol its key (with `security`), or at every join on a
   * plaintext link, where empty accepts any (tests only). Never logged.
   */
  readonly joinToken: string;
  /**
   * CurveZMQ with a ZAP policy and routing proofs: every message is attributed to a worker or a
   * control-plane peer, and refused when it speaks for anyone else. Absent: plaintext (tests).
   */
  readonly security?: ServerLinkSecurity;
  /**
   * Where new workers enrol their keys (required with `security`): the one socket that admits
   * unknown keys, and does nothing else (see enrolment-desk.ts).
   */
  readonly enrolEndpoint?: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** How often a utilisation sample of every worker is appended; 0 disables. */
  readonly usageSampleIntervalMs: number;
  /**
   * How long a gone worker's round-trip series is kept (docs/design/services.md, latency
   * monitor). @defaultValue 10 min
   */
  readonly latencyRetentionMs?: number;
}

/** What the GlobalManager is built from. */
export interface GlobalManagerDeps {
  /** Read only: the worker records the leader projects (liveness sweep, usage samples). */
  readonly stores: Stores;
  /** The leading JobManager: joins and losses are intents it applies. */
  readonly control: ControlLink;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Lifecycle: created → running → closing → closed. */
export type GlobalManagerState = 'created' | 'running' | 'closing' | 'closed';

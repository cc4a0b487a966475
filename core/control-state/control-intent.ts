import type { ControlCommand } from './control-command.js';
import type { CommandOutcome } from './state-effects.js';

type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> : never;

/**
 * What the other components ask of the leader: a command without its time (the leader stamps
 * it when it accepts the intent). Plans and term starts are the leader's own, never intents.
 */
export type ControlIntent = WithoutAt<Exclude<ControlCommand, { kind: 'place' } | { kind: 'term-start' }>>;

/**
 * Where FrontEnd, Discovery and GlobalManager send intents. `propose` resolves once the command
 * is durable in the control log (or was refused, which changes nothing); it rejects with an
 * AppError `STORE_UNAVAILABLE` (503) when no leader can make it durable now.
 */
export interface IntentPort {
  propose(intent: ControlIntent): Promise<CommandOutcome>;
}

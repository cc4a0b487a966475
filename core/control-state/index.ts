export * from './control-command.js';
export * from './control-state.js';
export * from './state-effects.js';
export * from './state-consistency.js';
export * from './control-intent.js';
export * from './record-sink.js';
export * from './plan-round.js';
export * from './control-link.js';

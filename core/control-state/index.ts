export * from './control-command.js';
export * from './control-state.js';
export * from './state-effects.js';
export * from './state-consistency.js';

export * from './control-log.js';
export type * from './durable-state.js';
export * from './snapshot-store.js';
export * from './fenced-log.js';
export * from './memory-durable-state.js';
export * from './directory-lock.js';
export * from './file-durable-state.js';
export * from './mongo-durable-state.js';

export * from './records.js';
export * from './container-name.js';

export * from './config-schema.js';
export * from './container-hardening.js';
export * from './kept-logs.js';
export * from './load-config.js';
export * from './parse-duration.js';

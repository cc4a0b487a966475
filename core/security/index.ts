export * from './z85.js';
export * from './key-files.js';
export * from './keyring.js';
export * from './routing-proof.js';
export * from './zap-handler.js';
export * from './link-security.js';
export * from './cluster-keys.js';
export * from './cluster-id.js';

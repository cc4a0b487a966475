export * from './load-spec.js';
export * from './spec-operations.js';
export * from './schema-validator.js';

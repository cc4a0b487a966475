export * from './gateway.js';
export * from './gateway-options.js';
export * from './gateway-stats.js';
export * from './health-tiers.js';

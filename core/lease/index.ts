export * from './leader-lease.js';
export * from './lease-keeper.js';
export * from './memory-leader-lease.js';
export * from './redis-leader-lease.js';

export * from './job-transitions.js';
export * from './worker-bookings.js';
export * from './cluster-snapshot.js';
export * from './task-assignment.js';
export * from './booking-ledger.js';
export * from './retention-prune.js';
export * from './component-presence.js';
export * from './task-moves.js';

export type * from './job-queue.js';
export * from './memory-job-queue.js';
export * from './bullmq-job-queue.js';
export * from './queue-retry.js';
export * from './queue-message.js';

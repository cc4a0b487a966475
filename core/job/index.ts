export * from './job-model.js';
export * from './job-state.js';
export * from './memory-size.js';
export * from './cpuset.js';
export * from './validate-job.js';
export * from './failure-code.js';

/** The job generator: arrival times → {@link Workload}. */
export * from './generate-workload.js';
export * from './choice-spec.js';
export * from './fleet-spec.js';

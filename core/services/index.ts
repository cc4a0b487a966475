export * from './service-model.js';
export * from './validate-service.js';
export * from './replica-directory.js';
export * from './autoscale.js';

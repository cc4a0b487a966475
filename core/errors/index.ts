export * from './error-catalogue.js';
export * from './field-issue.js';
export * from './app-error.js';

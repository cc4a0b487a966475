/** The HTTP load shape of `rswarm stress http`: rate profiles, the runner, the report. */
export * from './rate-profile.js';
export * from './http-load-run.js';
export * from './http-load-summary.js';
export * from './http-load-report.js';

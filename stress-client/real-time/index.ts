/** Real-time runs against a cluster over HTTP. */
export { runRealTime, waitForDrain, type RealTimeOptions } from './run-real-time.js';
export { createHttpStressApi, apiBase, type StressApi, type SubmitOutcome } from './stress-api.js';
export {
  autoProgress,
  barProgress,
  lineProgress,
  silentProgress,
  type ProgressSink,
  type ProgressState,
} from './progress.js';
export {
  nativeJob,
  clusterJobName,
  submitOnSchedule,
  type SubmissionRecord,
  type RunClock,
} from './submit-on-schedule.js';
export { TERMINAL_STATES } from './job-collector.js';

/** Load shapes: arrival times only (see {@link arrivalTimes}). */
export * from './load-shape.js';
export { arrivalTimes, resolveShape, resolveTiming, MAX_ARRIVALS } from './arrival-times.js';
export { carriedCounts } from './turn-counts.js';
export { parseInput } from './parse-input.js';

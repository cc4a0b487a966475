import { formatCpuset } from '../job/cpuset.js';

/**
 * Formats core ids as a Docker `--cpuset-cpus` value, compressing consecutive ids into ranges:
 * `[0, 1, 2, 3, 6]` → `"0-3,6"`, `[]` → `""`.
 *
 * Docker (and the Linux cpuset list format it passes through) accepts both `0-3,6` and
 * `0,1,2,3,6`; the range form is chosen because it stays short on large machines and is what
 * `core/job/cpuset.ts` parses back, so the two round-trip.
 * @param coreIds distinct core ids in any order
 */
export function cpusetString(coreIds: readonly number[]): string {
  return formatCpuset(coreIds);
}

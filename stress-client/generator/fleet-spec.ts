/**
 * A fleet of identical simulated workers from `<count>x<cores>x<memory>` (`50x32x128g`), for
 * virtual-time runs and for the simulated workers of a local real-time run.
 */
import { AppError } from '../../core/errors/index.js';
import { parseMemorySize } from '../../core/job/index.js';
import type { FleetWorker } from '../workload.js';

/** The most workers one spec may ask for. */
export const MAX_FLEET = 100_000;

/**
 * Parses a fleet spec; workers are named `<prefix>-1 … <prefix>-<count>`.
 * @param field the option it came from, named in errors
 * @throws AppError `VALIDATION_FAILED` naming `field`
 */
export function parseFleetSpec(text: string, field = '--fleet', prefix = 'sim'): FleetWorker[] {
  const m = /^\s*(\d+)\s*x\s*(\d+)\s*x\s*([0-9.]+\s*[bkmg]?b?)\s*$/i.exec(text);
  const memoryBytes = m ? parseMemorySize(m[3] as string) : undefined;
  const count = m ? Number(m[1]) : NaN;
  const cores = m ? Number(m[2]) : NaN;
  if (!m || memoryBytes === undefined || memoryBytes <= 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${field}: "${text}" is not <count>x<cores>x<memory>, e.g. 50x32x128g`,
    );
  }
  if (count < 1 || count > MAX_FLEET)
    throw new AppError('VALIDATION_FAILED', `${field}: count ${count} is not within 1…${MAX_FLEET}`);
  if (cores < 1 || cores > 4096)
    throw new AppError('VALIDATION_FAILED', `${field}: cores ${cores} is not within 1…4096`);
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i + 1}`, cores, memoryBytes }));
}

import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Creates the structured (JSON) logger shared by a process; components take children of it
 * (`logger.child({ component: 'job-manager' })`).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { app: 'rswarm' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import { redactSecrets } from './redact-secrets.js';

export type { Logger } from 'pino';

/**
 * Every logger of the project redacts environment values (they are secrets) wherever they appear
 * in a log line, errors included; see {@link redactSecrets}.
 */
const redaction: Pick<LoggerOptions, 'formatters' | 'serializers'> = {
  formatters: { log: (obj) => redactSecrets(obj) },
  // formatters.log has already serialized errors; an error given as the merging object itself
  // (`logger.error(err)`) reaches here as an Error.
  serializers: { err: (e: unknown) => (e instanceof Error ? redactSecrets(e) : e) },
};

/**
 * Creates the structured (JSON) logger shared by a process; components take children of it
 * (`logger.child({ component: 'job-manager' })`).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, base: { app: 'rswarm' }, timestamp: pino.stdTimeFunctions.isoTime, ...redaction },
    destination,
  );
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

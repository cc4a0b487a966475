import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { redactSecrets } from './redact-secrets.js';

export type { Logger } from 'pino';

/**
 * How a process writes its log lines: `json` (one JSON object a line, for collectors), `pretty`
 * (pino-pretty, for people) or `auto` (pretty when stderr is a terminal, JSON otherwise).
 */
export type LogFormat = 'auto' | 'pretty' | 'json';

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
 * Keys naming where a line comes from, outermost first: the process component (`frontend`,
 * `job-manager`, `worker`, …), then a module inside it, then a part of that module.
 */
const SCOPE_KEYS = ['component', 'module', 'submodule'] as const;

/**
 * Resolves `auto` against the stream the logs go to (stderr): pretty on a terminal, JSON lines when
 * stderr is a file, a pipe or a collector.
 */
export function resolveLogFormat(
  format: LogFormat,
  isTty: boolean = process.stderr.isTTY === true,
): 'pretty' | 'json' {
  if (format === 'auto') return isTty ? 'pretty' : 'json';
  return format;
}

/**
 * Creates the logger shared by a process; components take children of it with
 * {@link componentLogger}. Lines go to `destination` as JSON when one is given (tests), else to
 * stderr — never stdout, which carries the commands' own output (the all-in-one's banner) — as
 * JSON lines or, for `pretty` (and `auto` on a terminal), through pino-pretty.
 *
 * @param level pino level (`info`, `debug`, …, `silent`)
 * @param destination where JSON lines go; stderr when omitted
 * @param format how lines look when `destination` is omitted @defaultValue "json"
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const options: LoggerOptions = {
    level,
    base: { app: 'rswarm' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...redaction,
  };
  if (destination) return pino(options, destination);
  if (resolveLogFormat(format) === 'pretty') {
    // Synchronous so that a line logged just before exit is not lost; `app` is on every line; the
    // scope keys lead the message (`[job-manager/lease-keeper] elected leader`).
    const stream = PinoPretty({
      destination: 2,
      sync: true,
      ignore: ['pid', 'hostname', 'app', ...SCOPE_KEYS].join(','),
      messageFormat: (log, messageKey) => {
        const scope = SCOPE_KEYS.map((k) => log[k]).filter((v) => typeof v === 'string');
        const msg = typeof log[messageKey] === 'string' ? log[messageKey] : '';
        return scope.length > 0 ? `[${scope.join('/')}] ${msg}` : msg;
      },
    });
    return pino(options, stream);
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/**
 * A child logger for the part `name` of whatever `parent` logs for. pino writes a child's bindings
 * after its parent's without merging them, so `child({ component })` under a parent that has a
 * `component` writes the key twice (and JSON readers keep only one of them). This takes the first
 * scope key (`component`, `module`, `submodule`) the parent does not bind yet, and adds nothing
 * when the parent already names `name` (a standalone `rswarm frontend` passes a `frontend` logger
 * to the FrontEnd, which names itself again).
 *
 * @param parent the logger of the enclosing component, or the process logger
 * @param name the part's name, kebab-case (`status-reporter`)
 * @param bindings further fields for every line; keys the parent already binds are dropped
 */
export function componentLogger(
  parent: Logger,
  name: string,
  bindings: Readonly<Record<string, unknown>> = {},
): Logger {
  const bound = parent.bindings();
  const extra = Object.fromEntries(Object.entries(bindings).filter(([k]) => !(k in bound)));
  const named = SCOPE_KEYS.some((k) => bound[k] === name);
  const key = named ? undefined : SCOPE_KEYS.find((k) => !(k in bound));
  if (key === undefined && Object.keys(extra).length === 0) return parent;
  return parent.child(key === undefined ? extra : { [key]: name, ...extra });
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

import type { Config, ConfigInput } from '../core/config/index.js';
import {
  busyPortLineOf,
  endpointLines,
  firstBusyEndpoint,
  freePortOverrides,
  mergeSections,
} from './endpoint-ports.js';

/**
 * The all-in-one's endpoints before it starts: with `--free-ports` (or `allInOne.freePorts`) every
 * endpoint gets a port free a moment ago and they are printed; then every endpoint is checked,
 * and a busy one is reported in one line (component, address, setting to change) on stderr with
 * exit code 1, instead of a ZeroMQ or Node stack trace.
 * @param reload loads the configuration again with extra overrides merged over the asked ones
 * @returns the configuration to start with, or undefined when a port is busy (exit code set)
 */
export async function allInOnePorts(
  c: Config,
  freePorts: boolean,
  reload: (extra: (asked: ConfigInput) => ConfigInput) => Config,
): Promise<Config | undefined> {
  let config = c;
  if (freePorts || c.allInOne.freePorts) {
    const picked = await freePortOverrides(c);
    config = reload((asked) => mergeSections(asked, picked));
    console.log('Ports picked (--free-ports):');
    for (const line of endpointLines(config)) console.log(`  ${line}`);
  }
  const busy = await firstBusyEndpoint(config);
  if (busy) {
    console.error(busy);
    process.exitCode = 1;
    return undefined;
  }
  return config;
}

/**
 * The busy-port line for an error that escaped a command (a port taken between the check and the
 * bind, or a standalone component's), or undefined when `err` is something else.
 */
export function busyPortOf(err: unknown, config: () => Config): string | undefined {
  try {
    return busyPortLineOf(err, config());
  } catch {
    return undefined; // the configuration itself is broken: let the original error speak
  }
}

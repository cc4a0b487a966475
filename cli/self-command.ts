import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../core/paths/package-root.js';

/** How this CLI runs itself: the argv prefix and the package directory to run it in. */
export interface SelfCommand {
  readonly rswarmCommand: readonly string[];
  readonly repoDir: string;
}

const HERE = fileURLToPath(import.meta.url);

/**
 * The running `rswarm`, for the processes it starts (`rswarm cluster up`'s local components and
 * stress run): from the build, node on dist/cli/main.js; from source (tsx), node with tsx's
 * loader on cli/main.ts — whichever this process is, so a checkout without a build still works
 * and a built one never needs tsx at run time.
 */
export function selfCommand(file: string = HERE): SelfCommand {
  const fromSource = extname(file) === '.ts';
  const main = join(dirname(file), fromSource ? 'main.ts' : 'main.js');
  return {
    // tsx resolved here, so the command also works from another working directory.
    rswarmCommand: fromSource
      ? [process.execPath, '--import', import.meta.resolve('tsx'), main]
      : [process.execPath, main],
    repoDir: packageRoot(),
  };
}

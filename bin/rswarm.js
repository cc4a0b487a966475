#!/usr/bin/env node
/* global process, URL */
// `rswarm`: runs the build, dist/cli/main.js (`npm run build`; `npm install` and `npm ci` build it
// through the prepare script). A checkout without a build, or whose source changed after the
// build, runs the TypeScript source through tsx's loader (a dev dependency) instead, which
// compiles at every start: seconds instead of a fraction of one. A stale build is said on stderr
// (an old dist/ silently running old code misled even its authors); `npm run build` ends it.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const built = new URL('dist/cli/main.js', root);
const SOURCE_DIRS = [
  'cli',
  'core',
  'discovery',
  'frontend',
  'gateway',
  'global-manager',
  'job-manager',
  'management-engine',
  'openapi',
  'stress-client',
  'worker',
];

/**
 * The first production source file changed after `sinceMs`, if any: a few hundred stats, a few
 * ms. A package install has no newer source (npm gives every file one time), so it always runs
 * dist/.
 */
function newerSource(sinceMs) {
  const stack = SOURCE_DIRS.map((d) => new URL(`${d}/`, root));
  while (stack.length > 0) {
    const dir = stack.pop();
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'ui') stack.push(new URL(`${e.name}/`, dir));
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const file = new URL(e.name, dir);
        if (statSync(file).mtimeMs > sinceMs) return file;
      }
    }
  }
  return undefined;
}

const stale = existsSync(built) ? newerSource(statSync(built).mtimeMs) : undefined;
if (existsSync(built) && stale === undefined) {
  await import(built.href);
} else {
  if (stale !== undefined) {
    const name = stale.pathname.slice(root.pathname.length);
    process.stderr.write(
      `rswarm: ${name} changed after the last build: running the source (slower); npm run build\n`,
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}

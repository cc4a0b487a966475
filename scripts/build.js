#!/usr/bin/env node
/* global process, console, URL */
// `npm run build`: compiles the production folders to dist/ (tsconfig.build.json), starting from
// an empty dist/ so no module of a removed source file lingers. npm's prepare hook runs it with
// --if-typescript on `npm install` and `npm ci`: an install without dev dependencies
// (`npm ci --omit=dev`, as in the image's runtime stage, which copies dist/ from the build stage)
// has no TypeScript, and the build is skipped with a note instead of failing the install.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (process.argv.includes('--if-typescript')) {
    console.error('rswarm: TypeScript is not installed (no dev dependencies): dist/ not built');
    process.exit(0);
  }
  console.error('rswarm: TypeScript is not installed: run npm install (with dev dependencies) first');
  process.exit(1);
}
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);

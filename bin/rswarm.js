#!/usr/bin/env node
// `rswarm`: runs the build, dist/cli/main.js (`npm run build`; `npm install` and `npm ci` build it
// through the prepare script). A checkout without a build falls back, silently, to the TypeScript
// source through tsx's loader (a dev dependency), which compiles at every start: seconds instead
// of a fraction of one. After editing the source, `npm run build` again, or use `npm run rswarm`
// (always the source).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory (the one holding package.json), found from this file's own place:
 * `<root>/core/paths/` when run from source (tsx) and `<root>/dist/core/paths/` when run from the
 * build, so assets that are not TypeScript (openapi/openapi.yaml, the dashboard's static files)
 * are read from the same place either way.
 */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    // The filesystem root: no package.json above this file, which a checkout or image always has.
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

let root: string | undefined;

/** Absolute path of the package root (holds package.json, openapi/, frontend/, bin/). */
export function packageRoot(): string {
  root ??= findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return root;
}

/** Absolute path of `parts` under the package root, e.g. `packagePath('openapi', 'openapi.yaml')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

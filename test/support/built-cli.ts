/**
 * The built `rswarm` (dist/cli/main.js) for tests and the start-up benchmark: built when missing
 * or older than a production source file, run with plain node, optionally recording every module
 * it loads (test/support/module-load-recorder.js).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI entry. */
export const BUILT_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
/** The source CLI entry (run with tsx). */
export const SOURCE_MAIN = join(ROOT, 'cli', 'main.ts');

/** The folders tsconfig.build.json compiles. */
const PRODUCTION_FOLDERS = [
  'core',
  'frontend',
  'job-manager',
  'global-manager',
  'discovery',
  'worker',
  'stress-client',
  'management-engine',
  'gateway',
  'openapi',
  'cli',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ (`npm run build`) unless dist/cli/main.js is newer than every production source
 * file. In CI `npm ci` has built it already (the prepare script).
 * @throws Error with the compiler's output when the build fails
 */
export function ensureBuilt(): void {
  if (existsSync(BUILT_MAIN)) {
    const built = statSync(BUILT_MAIN).mtimeMs;
    if (PRODUCTION_FOLDERS.every((f) => newestMtime(join(ROOT, f)) <= built)) return;
  }
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.js')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`npm run build failed (${run.status}):\n${run.stdout}${run.stderr}`);
}

/** What a CLI run did. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, ms. */
  readonly ms: number;
  /** Every module URL or path loaded (with `record: true`), else empty. */
  readonly loaded: readonly string[];
}

/** Options of {@link runBuilt}. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Record the loaded modules. */
  readonly record?: boolean;
}

/** Runs `node dist/cli/main.js …args` to its end. */
export function runBuilt(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const dir = options.record ? mkdtempSync(join(tmpdir(), 'rswarm-loads-')) : undefined;
  const log = dir ? join(dir, 'loads.txt') : undefined;
  const preload = log ? ['--import', join(ROOT, 'test', 'support', 'module-load-recorder.js')] : [];
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...preload, BUILT_MAIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: {
        ...process.env,
        RSWARM_CONFIG: '',
        ...options.env,
        ...(log ? { RSWARM_TEST_LOAD_LOG: log } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - start;
      const loaded = log && existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      if (dir) rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, ms, loaded });
    });
  });
}

/** The npm packages among `loaded` (names as in node_modules, scoped ones with their scope). */
export function packagesOf(loaded: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const line of loaded) {
    // The innermost node_modules names the package (nested copies included).
    const last = [...line.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].at(-1)?.[1];
    if (last) names.add(last);
  }
  return names;
}

/**
 * Start-up benchmark (issue 13, item 1, "Show it"): how long `rswarm` takes to start from the
 * TypeScript source compiled at run time (`node --import tsx cli/main.ts`, mode `tsx-source`) and
 * from the build (`node dist/cli/main.js`, mode `dist`), side by side in one run; with
 * BENCH_BEFORE_REF=<commit> also the CLI of that commit from source (mode `tsx@<commit>`, e.g. the
 * one before the lazy loading, 327e95a^, where every command imported the whole control plane),
 * extracted with `git archive` into a temporary folder. Runs alternate between the modes, so all
 * see the same machine load. One JSON line per case and mode (median, p90, min, max in ms), then
 * one line per case comparing the first mode with dist:
 *
 * - `help`: `rswarm --help`, spawn to exit;
 * - `client`: `rswarm job ls -o json` against a running all-in-one (started once, from the
 *   build), spawn to exit (`keys list` for a commit before the operator commands);
 * - `all-in-one`: `rswarm all-in-one --free-ports` on the in-memory state with simulated
 *   workers, spawn to its "RESTfulSwarm API" banner line (then SIGTERM).
 *
 *   npm run bench:startup   (BENCH_REPEATS=7, BENCH_AIO_REPEATS=5, BENCH_BEFORE_REF=<commit>)
 *
 * dist/ is built first when missing or older than the source.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_MAIN, ensureBuilt, ROOT, SOURCE_MAIN } from '../test/support/built-cli.js';

const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 7);
const AIO_REPEATS = Number(process.env['BENCH_AIO_REPEATS'] ?? 5);
const TSX = import.meta.resolve('tsx');

const BEFORE_REF = process.env['BENCH_BEFORE_REF'];

/** How one mode runs `rswarm`: node's arguments before the command's, and its client call. */
interface Mode {
  readonly name: string;
  readonly argv: readonly string[];
  readonly client: (apiBase: string, token: string) => string[];
}

const jobLs = (apiBase: string, token: string): string[] => [
  ...['job', 'ls', '-o', 'json'],
  ...['--url', apiBase, '--token', token],
];

/** The CLI of `ref` from source, in a temporary copy sharing this checkout's node_modules. */
function beforeMode(ref: string, dir: string): Mode {
  const tree = join(dir, 'tree');
  execFileSync('sh', ['-c', `mkdir -p "${tree}" && git -C "${ROOT}" archive "${ref}" | tar -x -C "${tree}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  return {
    name: `tsx@${ref}`,
    argv: ['--import', TSX, join(tree, 'cli', 'main.ts')],
    client: () => ['keys', 'list'],
  };
}

const ENV = {
  ...process.env,
  RSWARM_CONFIG: '',
  RSWARM_STATE: 'memory',
  RSWARM_RUNTIME: 'simulated',
  RSWARM_LOG_LEVEL: 'warn',
};

/** Spawn of `rswarm …args` to its exit, in ms. */
function timeToExit(mode: Mode, args: readonly string[], cwd: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...mode.argv, ...args], { cwd, env: ENV, stdio: 'pipe' });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(performance.now() - start);
      else reject(new Error(`rswarm ${args.join(' ')} (${mode.name}) exited ${code}: ${err}`));
    });
  });
}

/** A started all-in-one: ms from spawn to its API banner line, its URL and token, and a stop. */
interface StartedAllInOne {
  readonly ms: number;
  readonly apiBase: string;
  readonly token: string;
  stop(): Promise<void>;
}

function startAllInOne(mode: Mode, cwd: string): Promise<StartedAllInOne> {
  const start = performance.now();
  const child = spawn(process.execPath, [...mode.argv, 'all-in-one', '--free-ports'], {
    cwd,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await closed;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let ms: number | undefined;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      ms ??= /^RESTfulSwarm API /m.test(out) ? performance.now() - start : undefined;
      const api = /^RESTfulSwarm API\s+(\S+)\/api\/v1$/m.exec(out)?.[1];
      const token = /^Bearer token\s+(\S+)/m.exec(out)?.[1];
      if (ms !== undefined && api && token) resolve({ ms, apiBase: api, token, stop });
    });
    void closed.then(() =>
      reject(new Error(`all-in-one (${mode.name}) exited before its banner:\n${out}\n${err}`)),
    );
  });
}

function stats(samples: readonly number[]): Record<string, number> {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  const r = (x: number): number => Math.round(x);
  return {
    n: s.length,
    medianMs: r(at(0.5)),
    p90Ms: r(at(0.9)),
    minMs: r(s[0] ?? NaN),
    maxMs: r(s.at(-1) ?? NaN),
  };
}

/**
 * Runs `measure` `repeats` times per mode, rotating the order of the modes each round, after one
 * untimed round that warms the file cache; prints the lines.
 */
async function bench(
  name: string,
  command: (mode: Mode) => string,
  repeats: number,
  measure: (m: Mode) => Promise<number>,
): Promise<void> {
  const samples = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (const m of modes) await measure(m);
  for (let i = 0; i < repeats; i++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(i + k) % modes.length]!;
      samples.get(mode)!.push(await measure(mode));
    }
  }
  const summary = modes.map((m) => stats(samples.get(m)!));
  modes.forEach((m, k) =>
    console.log(
      JSON.stringify({ bench: 'startup', case: name, mode: m.name, command: command(m), ...summary[k] }),
    ),
  );
  const before = summary[0]!;
  const after = summary.at(-1)!;
  console.log(
    JSON.stringify({
      bench: 'startup',
      case: name,
      before: modes[0]!.name,
      after: 'dist',
      beforeMedianMs: before['medianMs'],
      afterMedianMs: after['medianMs'],
      beforeP90Ms: before['p90Ms'],
      afterP90Ms: after['p90Ms'],
      speedup: Math.round(((before['medianMs'] ?? NaN) / (after['medianMs'] ?? NaN)) * 10) / 10,
    }),
  );
}

ensureBuilt();
const cwd = mkdtempSync(join(tmpdir(), 'rswarm-startup-bench-'));
const sourceMode: Mode = { name: 'tsx-source', argv: ['--import', TSX, SOURCE_MAIN], client: jobLs };
const distMode: Mode = { name: 'dist', argv: [BUILT_MAIN], client: jobLs };
const modes: readonly Mode[] = [...(BEFORE_REF ? [beforeMode(BEFORE_REF, cwd)] : []), sourceMode, distMode];
console.log(
  JSON.stringify({
    bench: 'startup',
    machine: { cores: cpus().length, loadavg1: Math.round(loadavg()[0]! * 100) / 100, node: process.version },
    repeats: REPEATS,
    allInOneRepeats: AIO_REPEATS,
    modes: modes.map((m) => m.name),
  }),
);
const work = join(cwd, 'run');
mkdirSync(work, { recursive: true });
const server = await startAllInOne(distMode, work);
try {
  await bench(
    'help',
    () => 'rswarm --help',
    REPEATS,
    (m) => timeToExit(m, ['--help'], work),
  );
  await bench(
    'client',
    (m) => `rswarm ${m.client('<api>', '<token>').join(' ')}`,
    REPEATS,
    (m) => timeToExit(m, m.client(server.apiBase, server.token), work),
  );
} finally {
  await server.stop();
}
await bench(
  'all-in-one',
  () => 'rswarm all-in-one --free-ports (memory state, simulated workers) to its API line',
  AIO_REPEATS,
  async (m) => {
    const aio = await startAllInOne(m, work);
    await aio.stop();
    return aio.ms;
  },
);
console.log(
  JSON.stringify({ bench: 'startup', done: true, loadavg1: Math.round(loadavg()[0]! * 100) / 100 }),
);
rmSync(cwd, { recursive: true, force: true });

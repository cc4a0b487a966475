import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './control-plane-harness.js';

/**
 * The FerretDB binary scripts/test-services.sh builds; `RSWARM_FERRETDB_BIN` overrides it.
 */
export const FERRETDB_BINARY =
  process.env['RSWARM_FERRETDB_BIN'] ||
  fileURLToPath(new URL('../../services/ferretdb/ferretdb-embedded', import.meta.url));

/** How long a (re)started service may take to answer. */
const START_TIMEOUT_MS = 20_000;

/**
 * A server process a test owns, on a port of its own (the shared test services sit on fixed
 * ports other test files use, so a test that restarts a service needs a private one). It can be
 * killed with SIGKILL and started again on the same port with the same data directory.
 */
abstract class PrivateService {
  private proc: ChildProcess | undefined;
  /** Where the service keeps its data and log; removed by {@link stop}. */
  readonly dir: string;

  protected constructor(
    readonly name: string,
    readonly port: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `rswarm-private-${name}-`));
  }

  /** The command line that runs the service in the foreground. */
  protected abstract command(): { file: string; args: string[] };

  /** True once the service answers on its port. */
  protected abstract ready(): Promise<boolean>;

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Starts the service (again) and waits until it answers.
   * @throws Error with the end of its log when it exits or does not answer in time.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} already runs`);
    const { file, args } = this.command();
    const log = createWriteStream(join(this.dir, `${this.name}.log`), { flags: 'a' });
    const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
    this.proc = proc;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`${this.name} exited at start (${proc.exitCode}); log in ${this.dir}`);
      if (await this.ready()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `${this.name} did not answer on port ${this.port} in ${START_TIMEOUT_MS} ms; log in ${this.dir}`,
    );
  }

  /** SIGKILL, as a crash: no chance to flush or close connections. Resolves once it exited. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await exited;
  }

  /** Kills the service and removes its data directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A private Redis like the shared one: no RDB snapshots and no append-only file, so a restart
 * loses every key — the lease, its candidates and its token counter — as a Redis run purely as a
 * lock service does.
 */
export class PrivateRedis extends PrivateService {
  private constructor(port: number) {
    super('redis', port);
  }

  /**
   * Starts a Redis on a free loopback port.
   * @throws Error when `redis-server` is not installed (scripts/test-services.sh installs it).
   */
  static async start(): Promise<PrivateRedis> {
    if (spawnSync('redis-server', ['--version']).status !== 0)
      throw new Error('redis-server is not on the PATH: run scripts/test-services.sh first');
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected command(): { file: string; args: string[] } {
    return {
      file: 'redis-server',
      args: [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
    };
  }

  protected ready(): Promise<boolean> {
    return ask(this.port, 'PING\r\n', (reply) => reply.startsWith('+PONG'));
  }
}

/**
 * A private FerretDB (services/ferretdb/ferretdb-embedded, SQLite backend) whose data stays in
 * its directory across restarts, as a MongoDB server's does.
 */
export class PrivateFerretDb extends PrivateService {
  private constructor(port: number) {
    super('ferretdb', port);
  }

  /**
   * Starts a FerretDB on a free loopback port.
   * @throws Error when the binary is missing (scripts/test-services.sh builds it).
   */
  static async start(): Promise<PrivateFerretDb> {
    if (!existsSync(FERRETDB_BINARY))
      throw new Error(`${FERRETDB_BINARY} is missing: run scripts/test-services.sh first, which builds it`);
    const ferret = new PrivateFerretDb(await freePort());
    await ferret.start();
    return ferret;
  }

  /** The URL of database `db` on this server. */
  url(db: string): string {
    return `mongodb://127.0.0.1:${this.port}/${db}`;
  }

  protected command(): { file: string; args: string[] } {
    return {
      file: FERRETDB_BINARY,
      args: [
        '--listen',
        `127.0.0.1:${this.port}`,
        '--sqlite-dir',
        join(this.dir, 'data'),
        '--log-level',
        'warn',
      ],
    };
  }

  protected ready(): Promise<boolean> {
    return ask(this.port, '', () => true);
  }
}

/**
 * Connects to `port`, sends `request` and tests the first reply with `ok` (an empty request only
 * checks that the port accepts connections). False on any error or after a second.
 */
function ask(port: number, request: string, ok: (reply: string) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (v: boolean): void => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      if (request === '') done(true);
      else socket.write(request);
    });
    socket.once('data', (d) => done(ok(d.toString())));
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { silentLogger } from '../../core/log/logger.js';
import { controlPlaneKeys } from '../../core/security/index.js';
import { ZmqControlClient, type ControlClientOptions } from '../../core/transport/index.js';
import { freshEndpoints } from './control-plane-harness.js';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

/** A control plane and workers as separate OS processes, which tests may kill -9 and restart. */
export class ProcessCluster {
  private readonly procs = new Map<string, ChildProcess>();
  readonly dir = mkdtempSync(join(tmpdir(), 'rswarm-procs-'));
  private readonly configFile = join(this.dir, 'config.yaml');

  private constructor(
    /** The first JobManager's control-link address (others bind their own). */
    readonly jobManagerEndpoint: string,
    readonly url: string,
    readonly token: string,
    private readonly backends: { mongoUrl: string; redisUrl: string; queueName: string },
  ) {}

  /** Writes one config file every process reads (RSWARM_CONFIG); `cluster` overrides timings. */
  static async create(
    backends: {
      mongoUrl: string;
      redisUrl: string;
      queueName: string;
    },
    cluster: Record<string, unknown> = {},
  ): Promise<ProcessCluster> {
    const ep = await freshEndpoints();
    const c = new ProcessCluster(ep.jobManager, `http://127.0.0.1:${ep.http}`, 'proc-token', backends);
    // The operator's first step: the control plane's keys exist before any worker starts.
    const keysDir = c.keysDir;
    controlPlaneKeys(keysDir, 'proc-join');
    writeFileSync(
      c.configFile,
      stringify({
        logLevel: 'info',
        http: { port: ep.http, token: c.token },
        backends: { store: 'mongo', queue: 'redis', ...backends },
        cluster: {
          managerEndpoint: ep.manager,
          enrolEndpoint: ep.enrol,
          discoveryEndpoint: ep.discovery,
          jobManagerEndpoint: ep.jobManager,
          joinToken: 'proc-join',
          // Every process of this cluster shares one keys directory, as hosts would share copies.
          keysDir,
          heartbeatIntervalMs: 250,
          heartbeatTimeoutMs: 2000,
          safetyIntervalMs: 2000,
          ...cluster,
        },
      }),
    );
    return c;
  }

  /** The keys directory every process of this cluster shares. */
  get keysDir(): string {
    return join(this.dir, 'keys');
  }

  /**
   * A control-link client to `endpoints` holding the control plane's keys, as a FrontEnd would
   * (the JobManager's control link admits nothing else).
   */
  controlClient(endpoints: readonly string[], options: ControlClientOptions): ZmqControlClient {
    return new ZmqControlClient(
      endpoints,
      silentLogger(),
      options,
      controlPlaneKeys(this.keysDir, 'proc-join').client,
    );
  }

  /** Starts (or restarts) `name` running `rswarm <args>`; output goes to a log file in {@link dir}. */
  start(name: string, args: readonly string[], env: Record<string, string> = {}): void {
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      // The environment outranks the config file, and the test runner's MONGO_URL/REDIS_URL name
      // the shared default database: pin the children to this cluster's own database and queue.
      env: {
        ...process.env,
        RSWARM_CONFIG: this.configFile,
        MONGO_URL: this.backends.mongoUrl,
        REDIS_URL: this.backends.redisUrl,
        RSWARM_QUEUE_NAME: this.backends.queueName,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.procs.set(name, child);
  }

  /** SIGKILL: no chance to clean up, as a crash. */
  async kill(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await exited;
  }

  /** Stops every process (SIGTERM, then SIGKILL after a grace period). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.procs.values()].map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise((resolve) => p.once('exit', resolve));
        p.kill('SIGTERM');
        const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.url + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  }

  /** Every job the API lists (JobView objects), following the cursor page by page. */
  async allJobs(): Promise<any[]> {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: any[]; nextCursor: string | null } } = await this.api(
        'GET',
        `/api/v1/jobs?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return all;
  }
}

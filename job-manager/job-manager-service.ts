import type { Logger } from '../core/log/logger.js';
import type { ControlLeader } from './control-leader.js';

/**
 * Who leads: a lease kept in Redis among several JobManagers (core/lease's LeaseKeeper fits this
 * shape), or {@link SoloElection} when only one JobManager exists.
 */
export interface Election {
  on(event: 'elected', listener: (token: number) => void): () => void;
  on(event: 'deposed', listener: (reason: string, token: number) => void): () => void;
  run(): Promise<void>;
  /** Stops campaigning; a leader is deposed first and hands the lease over at once. */
  close(): Promise<void>;
}

/** The election of a JobManager that is alone: elected at once, deposed when closed. */
export class SoloElection implements Election {
  private elected = new Set<(token: number) => void>();
  private deposed = new Set<(reason: string, token: number) => void>();
  private leading = false;

  on(event: 'elected', listener: (token: number) => void): () => void;
  on(event: 'deposed', listener: (reason: string, token: number) => void): () => void;
  on(event: 'elected' | 'deposed', listener: (...args: never[]) => void): () => void {
    const set = (event === 'elected' ? this.elected : this.deposed) as Set<typeof listener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  run(): Promise<void> {
    this.leading = true;
    // Token 0: the leader takes the next term after the highest one in its log.
    for (const l of this.elected) l(0);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.leading) for (const l of this.deposed) l('closed', 0);
    this.leading = false;
    return Promise.resolve();
  }
}

/** Options of the {@link JobManagerService}. */
export interface JobManagerServiceOptions {
  /** A round at least this often, covering anything a lost message would have triggered. */
  readonly safetyIntervalMs: number;
  /** Pause before campaigning again after this JobManager stepped down on its own. @defaultValue 1000 */
  readonly recampaignMs?: number;
}

/** Lifecycle: created → running → closing → closed. */
export type JobManagerServiceState = 'created' | 'running' | 'closing' | 'closed';

/**
 * A JobManager process: campaigns for leadership and, while elected, runs the {@link ControlLeader}.
 * Deposed (lease expired or lost) → the leader stops at once. The leader stepping down by itself
 * (its log write was fenced or failed) → the lease is given up and the campaign starts again, so
 * a standby can take over meanwhile.
 */
export class JobManagerService {
  private state: JobManagerServiceState = 'created';
  private election: Election | undefined;
  private timer: NodeJS.Timeout | undefined;
  private restart: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: JobManagerServiceOptions,
    private readonly deps: {
      readonly leader: ControlLeader;
      readonly newElection: () => Election;
      readonly logger: Logger;
    },
  ) {}

  getState(): JobManagerServiceState {
    return this.state;
  }

  get leader(): ControlLeader {
    return this.deps.leader;
  }

  async run(): Promise<void> {
    if (this.state !== 'created') throw new Error(`JobManagerService.run in state ${this.state}`);
    this.state = 'running';
    this.deps.leader.onStepDown((reason) => this.onLeaderStepDown(reason));
    this.timer = setInterval(() => {
      this.deps.leader.nudge();
      this.deps.leader.resend(this.options.safetyIntervalMs);
    }, this.options.safetyIntervalMs);
    await this.campaign();
  }

  private async campaign(): Promise<void> {
    if (this.state !== 'running') return;
    const e = this.deps.newElection();
    this.election = e;
    e.on('elected', (token) => {
      this.serial(async () => {
        if (this.election !== e || this.state !== 'running') return;
        try {
          await this.deps.leader.lead(token);
        } catch (err) {
          this.deps.logger.error({ err }, 'could not take over as leader; giving the lease up');
          await this.resign();
        }
      });
    });
    e.on('deposed', (reason) => {
      this.serial(() => this.deps.leader.stepDown(`lease ${reason}`));
    });
    await e.run();
  }

  /** Runs `fn` after every earlier election step, so lead and step-down never interleave. */
  private serial(fn: () => Promise<void>): void {
    this.work = this.work
      .then(fn)
      .catch((err: unknown) => this.deps.logger.error({ err }, 'leadership change failed'));
  }

  private onLeaderStepDown(reason: string): void {
    this.deps.logger.warn({ reason }, 'stepped down; campaigning again shortly');
    this.serial(() => this.resign());
  }

  /** Gives the lease up and campaigns again after a pause. */
  private async resign(): Promise<void> {
    const e = this.election;
    this.election = undefined;
    await e?.close();
    if (this.state !== 'running') return;
    this.restart = setTimeout(() => {
      this.restart = undefined;
      this.serial(() => this.campaign());
    }, this.options.recampaignMs ?? 1000);
  }

  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    if (this.timer) clearInterval(this.timer);
    if (this.restart) clearTimeout(this.restart);
    await this.work;
    const e = this.election;
    this.election = undefined;
    await e?.close();
    await this.work;
    await this.deps.leader.close();
    this.state = 'closed';
  }
}

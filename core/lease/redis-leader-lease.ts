import { Redis, type RedisOptions } from 'ioredis';
import { componentLogger, createLogger, type Logger } from '../log/logger.js';
import {
  resolveLeaseOptions,
  type CampaignResult,
  type LeaderLease,
  type LeaseCandidate,
  type LeaseHolder,
  type LeaseOptions,
  type ResolvedLeaseOptions,
} from './leader-lease.js';
import { CAMPAIGN_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT } from './lease-scripts.js';

/** Where the Redis lease connects: a URL (the lease owns the connection) or a client. */
export type RedisLeaseConnection =
  | {
      /** `redis://[user:password@]host:port[/db]`; connected at once, closed by `close()`. */
      readonly redisUrl: string;
      /**
       * How long connecting, and each command, may take.
       * @defaultValue a third of `ttlMs`
       */
      readonly commandTimeoutMs?: number;
    }
  | {
      /**
       * A connected client, shared and left open by `close()`. Give it `enableOfflineQueue:
       * false` and a `commandTimeout`, so operations fail fast instead of queueing while Redis
       * is away (a `LeaseKeeper` stops leading on time either way).
       */
      readonly redis: Redis;
    };

/** Options of {@link createRedisLeaderLease}. */
export type RedisLeaderLeaseOptions = LeaseOptions &
  RedisLeaseConnection & {
    /**
     * The lease's name: every candidate for one leadership uses the same name. Keys are
     * `rswarm:lease:{<name>}:*`, the release channel `rswarm:lease:{<name>}:released`.
     */
    readonly name: string;
    /** @defaultValue an `info` logger on stdout */
    readonly logger?: Logger;
  };

/** The Redis keys of the lease called `name`, all in one cluster slot; see lease-scripts.ts. */
export function leaseKeys(name: string): {
  holder: string;
  epoch: string;
  candidates: string;
  valors: string;
  channel: string;
} {
  if (name.length === 0 || /[{}]/.test(name)) throw new Error('lease name must be non-empty, without { or }');
  const base = `rswarm:lease:{${name}}`;
  return {
    holder: `${base}:holder`,
    epoch: `${base}:epoch`,
    candidates: `${base}:candidates`,
    valors: `${base}:valors`,
    channel: `${base}:released`,
  };
}

/** The commands `defineCommand` adds: EVALSHA, falling back to EVAL once after a script flush. */
interface LeaseCommands {
  rswarmLeaseCampaign(...keysAndArgs: string[]): Promise<[string, number, string, number]>;
  rswarmLeaseRenew(...keysAndArgs: string[]): Promise<number>;
  rswarmLeaseRelease(...keysAndArgs: string[]): Promise<number>;
}

/**
 * A {@link LeaderLease} on Redis: every operation is one Lua script (lease-scripts.ts), expiry is
 * PX on the holder key and Redis `TIME`, and a release is published on the lease's channel.
 *
 * @throws Error naming the URL (credentials redacted) when Redis cannot be reached.
 */
export async function createRedisLeaderLease(opts: RedisLeaderLeaseOptions): Promise<LeaderLease> {
  const settings = resolveLeaseOptions(opts);
  const keys = leaseKeys(opts.name);
  const logger = componentLogger(opts.logger ?? createLogger('info'), 'redis-leader-lease', {
    lease: opts.name,
    candidate: settings.candidate.id,
  });
  let redis: Redis;
  let owned: boolean;
  if ('redis' in opts) {
    redis = opts.redis;
    owned = false;
  } else {
    const timeoutMs = opts.commandTimeoutMs ?? Math.ceil(settings.ttlMs / 3);
    // No offline queue and a command timeout: a lease operation that cannot reach Redis must fail
    // now, not succeed seconds later when the lease it talks about may belong to someone else.
    redis = await connect(
      opts.redisUrl,
      { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeoutMs },
      timeoutMs,
      logger,
    );
    owned = true;
  }
  defineCommands(redis);
  let subscriber: Redis;
  try {
    subscriber = await subscribe(redis, keys.channel, logger);
  } catch (err) {
    if (owned) await quit(redis);
    throw err;
  }
  const lease = new RedisLeaderLease(
    settings,
    keys,
    redis as Redis & LeaseCommands,
    owned,
    subscriber,
    logger,
  );
  subscriber.on('message', (channel: string) => lease.notify(channel));
  return lease;
}

/**
 * Opens the connection that listens for releases. Subscribed before the lease is handed out, so
 * a listener added afterwards misses no release published afterwards (Redis pub/sub keeps
 * nothing for late subscribers).
 */
async function subscribe(redis: Redis, channel: string, logger: Logger): Promise<Redis> {
  // Offline queue on and no command timeout: after a reconnect ioredis resubscribes through it.
  const subscriber = redis.duplicate({
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
  });
  subscriber.on('error', (err: Error) => logger.debug({ err }, 'lease subscriber connection error'));
  try {
    await subscriber.connect();
    await subscriber.subscribe(channel);
    return subscriber;
  } catch (err) {
    subscriber.disconnect();
    throw new Error(`cannot subscribe to lease releases on ${channel}`, { cause: err });
  }
}

function defineCommands(redis: Redis): void {
  if ('rswarmLeaseCampaign' in redis) return;
  redis.defineCommand('rswarmLeaseCampaign', { numberOfKeys: 4, lua: CAMPAIGN_SCRIPT });
  redis.defineCommand('rswarmLeaseRenew', { numberOfKeys: 3, lua: RENEW_SCRIPT });
  redis.defineCommand('rswarmLeaseRelease', { numberOfKeys: 3, lua: RELEASE_SCRIPT });
}

class RedisLeaderLease implements LeaderLease {
  readonly candidate: LeaseCandidate;
  readonly ttlMs: number;
  readonly #candidacyMs: number;
  readonly #listeners = new Set<() => void>();
  #closing: Promise<void> | undefined;

  constructor(
    settings: ResolvedLeaseOptions,
    private readonly keys: ReturnType<typeof leaseKeys>,
    private readonly redis: Redis & LeaseCommands,
    private readonly owned: boolean,
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {
    this.candidate = settings.candidate;
    this.ttlMs = settings.ttlMs;
    this.#candidacyMs = settings.candidacyMs;
  }

  async campaign(): Promise<CampaignResult> {
    this.#assertOpen();
    const { holder, epoch, candidates, valors } = this.keys;
    const [outcome, token, id, valor] = await this.redis.rswarmLeaseCampaign(
      holder,
      epoch,
      candidates,
      valors,
      this.candidate.id,
      String(this.candidate.valor),
      String(this.ttlMs),
      String(this.#candidacyMs),
    );
    if (outcome === 'held') return { outcome, token };
    if (outcome === 'taken') return { outcome, leader: { id, valor, token } };
    return { outcome: 'deferred', preferred: { id, valor } };
  }

  async renew(token: number): Promise<boolean> {
    this.#assertOpen();
    const { holder, candidates, valors } = this.keys;
    const renewed = await this.redis.rswarmLeaseRenew(
      holder,
      candidates,
      valors,
      this.candidate.id,
      String(token),
      String(this.candidate.valor),
      String(this.ttlMs),
      String(this.#candidacyMs),
    );
    return renewed === 1;
  }

  async release(token?: number): Promise<boolean> {
    this.#assertOpen();
    const { holder, candidates, valors, channel } = this.keys;
    const released = await this.redis.rswarmLeaseRelease(
      holder,
      candidates,
      valors,
      this.candidate.id,
      token === undefined ? '' : String(token),
      channel,
    );
    return released === 1;
  }

  async current(): Promise<LeaseHolder | undefined> {
    this.#assertOpen();
    const [id, valor, token] = await this.redis.hmget(this.keys.holder, 'id', 'valor', 'token');
    if (!id || !valor || !token) return undefined;
    return { id, valor: Number(valor), token: Number(token) };
  }

  onReleased(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await quit(this.subscriber);
    if (this.owned) await quit(this.redis);
  }

  /** Calls the release listeners for a message on the lease's channel (from the subscriber). */
  notify(channel: string): void {
    if (channel !== this.keys.channel) return;
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'lease release listener threw');
      }
    }
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('leader lease is closed');
  }
}

/** Opens an ioredis connection, failing fast with a readable reason when Redis is unreachable. */
async function connect(
  url: string,
  options: RedisOptions,
  timeoutMs: number,
  logger: Logger,
): Promise<Redis> {
  const redis = new Redis(url, { ...options, lazyConnect: true, connectTimeout: timeoutMs });
  let connected = false;
  let lastError: Error | undefined;
  // ioredis prints 'error' events to stderr when nobody listens; before the first connect the
  // reason goes into the thrown error, after it into the log.
  redis.on('error', (err: Error) => {
    if (connected) logger.warn({ err }, 'redis connection error');
    else lastError = err;
  });
  try {
    await redis.connect();
    connected = true;
    return redis;
  } catch (err) {
    redis.disconnect();
    const reason = lastError?.message ?? (err instanceof Error ? err.message : String(err));
    const shown = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
    throw new Error(`cannot reach Redis at ${shown}: ${reason}`, { cause: err });
  }
}

async function quit(redis: Redis | undefined): Promise<void> {
  if (!redis || redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/**
 * A {@link ReplicaDirectory} for gateway tests whose replicas are real HTTP servers on ephemeral
 * loopback ports in the test process: the gateway is exercised through real sockets, never a fake
 * upstream object. `scaleUp` starts a new server after `startDelayMs`, like a container starting.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  NoCapacityError,
  type GatewayReplica,
  type GatewayService,
  type ReplicaDirectory,
} from '../../core/services/replica-directory.js';

/** Answers a request on replica `replicaId`. */
export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, replicaId: string) => void;

/** Echoes `{ replica, method, url, headers }` as JSON; `/health` answers 200. */
export const echoHandler: UpstreamHandler = (req, res, replica) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ replica, method: req.method, url: req.url, headers: req.headers }));
  });
};

/** A replica of the fake: its listing entry and, once started, its server. */
export interface FakeReplica {
  id: string;
  state: GatewayReplica['state'];
  address: string | null;
  unplacedReason: string | null;
  server: Server | undefined;
  /** Requests it received (health probes excluded). */
  hits: number;
}

/** A service definition with test-friendly defaults. */
export function aService(name: string, over: Partial<GatewayService> = {}): GatewayService {
  return {
    name,
    healthPath: '/health',
    minReplicas: 0,
    maxReplicas: 10,
    idleTimeoutMs: 60_000,
    public: false,
    latency: undefined,
    ...over,
  };
}

/** The fake directory; see the module comment. */
export class FakeReplicaDirectory implements ReplicaDirectory {
  /** Delay between `scaleUp` and the replica's server answering; null: it never starts. */
  startDelayMs: number | null = 100;
  /** When set, `scaleUp` adds replicas that stay `waiting` with this reason. */
  unplacedReason: string | undefined;
  /** When set, `scaleUp` rejects with it. */
  scaleUpError: Error | undefined;
  readonly scaleUpCalls: { service: string; count: number }[] = [];
  readonly releaseCalls: { service: string; replica: string }[] = [];
  private readonly defs = new Map<string, { def: GatewayService; handler: UpstreamHandler }>();
  private readonly byService = new Map<string, FakeReplica[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;

  /** Defines a service; `handler` answers every request but the health path (200). */
  addService(def: GatewayService, handler: UpstreamHandler = echoHandler): void {
    this.defs.set(def.name, { def, handler });
    if (!this.byService.has(def.name)) this.byService.set(def.name, []);
  }

  /** Starts a running replica of `service` now. */
  async startReplica(service: string): Promise<FakeReplica> {
    const r = this.newReplica(service, 'starting');
    await this.listen(service, r);
    return r;
  }

  /** The replicas of `service`, in start order. */
  list(service: string): FakeReplica[] {
    return this.byService.get(service) ?? [];
  }

  /** Closes a replica's server but keeps it listed as running: connections to it are refused. */
  async crash(replica: FakeReplica): Promise<void> {
    const s = replica.server;
    replica.server = undefined;
    if (s) await closeServer(s);
  }

  service(name: string): Promise<GatewayService | undefined> {
    return Promise.resolve(this.defs.get(name)?.def);
  }

  replicas(service: string): Promise<readonly GatewayReplica[]> {
    return Promise.resolve(
      this.list(service).map(({ id, state, address, unplacedReason }) => ({
        id,
        state,
        address,
        unplacedReason,
      })),
    );
  }

  scaleUp(service: string, count: number): Promise<void> {
    this.scaleUpCalls.push({ service, count });
    if (this.scaleUpError) return Promise.reject(this.scaleUpError);
    const def = this.defs.get(service)?.def;
    if (!def) return Promise.reject(new Error(`no service ${service}`));
    if (count > def.maxReplicas) return Promise.reject(new NoCapacityError('at maxReplicas', 5));
    for (let live = this.list(service).length; live < count; live++) {
      if (this.unplacedReason) {
        this.newReplica(service, 'waiting').unplacedReason = this.unplacedReason;
        continue;
      }
      const r = this.newReplica(service, 'starting');
      if (this.startDelayMs === null) continue;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.listen(service, r);
      }, this.startDelayMs);
      this.timers.add(t);
    }
    return Promise.resolve();
  }

  async release(service: string, replica: string): Promise<void> {
    this.releaseCalls.push({ service, replica });
    const list = this.list(service);
    const i = list.findIndex((r) => r.id === replica);
    if (i < 0) return;
    const [r] = list.splice(i, 1);
    if (r?.server) await closeServer(r.server);
  }

  /** Stops every server and pending start. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const servers = [...this.byService.values()].flat().flatMap((r) => (r.server ? [r.server] : []));
    await Promise.all(servers.map(closeServer));
  }

  private newReplica(service: string, state: GatewayReplica['state']): FakeReplica {
    const r: FakeReplica = {
      id: `svc.${service}.${++this.seq}`,
      state,
      address: null,
      unplacedReason: null,
      server: undefined,
      hits: 0,
    };
    this.list(service).push(r);
    return r;
  }

  private async listen(service: string, r: FakeReplica): Promise<void> {
    const entry = this.defs.get(service);
    if (!entry) return;
    const server = createServer((req, res) => {
      if (req.url === entry.def.healthPath) {
        res.end('ok');
        return;
      }
      r.hits++;
      entry.handler(req, res, r.id);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    r.server = server;
    r.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    r.state = 'running';
  }
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

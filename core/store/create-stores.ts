import { createMemoryStores } from './memory-stores.js';
import { createMongoStores } from './mongo-stores.js';
import type { Stores } from './store-ports.js';

/** Which storage adapter a process uses, as configured. */
export interface StoresOptions {
  /** `memory`: nothing survives a restart (tests, single-process demos); `mongo`: MongoDB/FerretDB. */
  readonly backend: 'memory' | 'mongo';
  /** Connection string; read only by the `mongo` backend. */
  readonly mongoUrl: string;
}

/**
 * Builds the stores of the configured backend; processes call this and see only the ports.
 * @throws Error when the `mongo` backend cannot reach its server (see createMongoStores).
 */
export async function createStores(opts: StoresOptions): Promise<Stores> {
  if (opts.backend === 'memory') return createMemoryStores();
  return createMongoStores(opts.mongoUrl);
}

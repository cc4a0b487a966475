/**
 * @module The job-queue contract on the in-process queue (see test/support/queue-contract.ts).
 */
import { silentLogger } from '../../core/log/logger.js';
import { createMemoryJobQueue } from '../../core/queue/index.js';
import { queueContract } from '../support/queue-contract.js';

queueContract('memory', (retry) =>
  Promise.resolve(createMemoryJobQueue({ ...retry, logger: silentLogger() })),
);

/**
 * @module The storage contract on the in-memory adapter (see test/support/store-contract.ts).
 */
import { createMemoryStores } from '../../core/store/index.js';
import { storeContract } from '../support/store-contract.js';

storeContract('memory', () => Promise.resolve(createMemoryStores()));

import type { components } from '../../openapi/schema.js';

/**
 * Response shapes of the HTTP API, from the generated OpenAPI types, for tests that read raw
 * JSON bodies (the harnesses' `api()` returns them untyped because one helper serves every route).
 */
export type WorkerView = components['schemas']['WorkerView'];

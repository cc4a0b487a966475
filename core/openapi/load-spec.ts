import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { packagePath } from '../paths/package-root.js';

/** Where the single source of truth for the HTTP API lives (read from source and dist/ alike). */
export const SPEC_PATH = packagePath('openapi', 'openapi.yaml');

/** The parts of an OpenAPI 3.1 document this project reads. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, unknown>> };
  readonly [key: string]: unknown;
}

let cached: OpenApiDocument | undefined;

/** Reads and parses openapi/openapi.yaml once per process. */
export function loadSpec(): OpenApiDocument {
  cached ??= Object.freeze(parseYaml(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument);
  return cached;
}

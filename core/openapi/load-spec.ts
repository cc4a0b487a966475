import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** Where the single source of truth for the HTTP API lives. */
export const SPEC_PATH = fileURLToPath(new URL('../../openapi/openapi.yaml', import.meta.url));

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

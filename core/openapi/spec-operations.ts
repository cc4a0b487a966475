import { loadSpec, type OpenApiDocument } from './load-spec.js';

/** HTTP methods an OpenAPI path item may hold. */
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** One parameter of an operation, after `$ref` resolution. */
export interface SpecParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: unknown;
}

/** One operation of the spec, flattened for routing and validation. */
export interface SpecOperation {
  readonly operationId: string;
  readonly method: (typeof METHODS)[number];
  /** The OpenAPI path template, e.g. `/api/v1/jobs/{name}`. */
  readonly path: string;
  /** The same path in express syntax, e.g. `/api/v1/jobs/:name`. */
  readonly expressPath: string;
  readonly secured: boolean;
  readonly parameters: readonly SpecParameter[];
  /** The JSON request body schema, when the operation takes one. */
  readonly bodySchema: unknown;
  readonly bodyRequired: boolean;
  /** `x-rswarm-body-validator`: a named validator that replaces the generic body check. */
  readonly bodyValidator: string | undefined;
}

type Obj = Record<string, unknown>;

function resolve(doc: OpenApiDocument, value: unknown): Obj {
  const ref = (value as Obj | undefined)?.['$ref'];
  if (typeof ref !== 'string') return (value ?? {}) as Obj;
  let node: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Obj)[part];
  return node as Obj;
}

/** Every operation in the spec, in document order. */
export function specOperations(doc: OpenApiDocument = loadSpec()): SpecOperation[] {
  const out: SpecOperation[] = [];
  const globalSecured = Array.isArray(doc['security']) && (doc['security'] as unknown[]).length > 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = ((item as Obj)['parameters'] as unknown[] | undefined) ?? [];
    for (const method of METHODS) {
      const op = (item as Obj)[method] as Obj | undefined;
      if (!op) continue;
      const params = [...shared, ...((op['parameters'] as unknown[] | undefined) ?? [])].map((p) => {
        const r = resolve(doc, p);
        return {
          name: r['name'] as string,
          in: r['in'] as SpecParameter['in'],
          required: r['required'] === true,
          schema: r['schema'],
        };
      });
      const body = op['requestBody'] ? resolve(doc, op['requestBody']) : undefined;
      const content = body?.['content'] as Obj | undefined;
      const json = content?.['application/json'] as Obj | undefined;
      const security = op['security'] as unknown[] | undefined;
      out.push({
        operationId: op['operationId'] as string,
        method,
        path,
        expressPath: path.replace(/\{([^}]+)\}/g, ':$1'),
        secured: security ? security.length > 0 : globalSecured,
        parameters: params,
        bodySchema: json?.['schema'],
        bodyRequired: body?.['required'] === true,
        bodyValidator: op['x-rswarm-body-validator'] as string | undefined,
      });
    }
  }
  return out;
}

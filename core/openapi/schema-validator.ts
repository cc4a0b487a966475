import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import { loadSpec, type OpenApiDocument } from './load-spec.js';
import { jsonPointer, type FieldIssue, type FieldIssueCode } from '../errors/index.js';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the plugin sits on `.default`.
const addFormats = ajvFormats.default.default;

const SPEC_ID = 'rswarm:openapi';

type Obj = Record<string, unknown>;

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === '$ref' && typeof v === 'string'
        ? v.replace('#/components/schemas/', `${SPEC_ID}#/$defs/`)
        : rewriteRefs(v);
  }
  return out;
}

/**
 * Validates values against schemas of openapi/openapi.yaml (JSON Schema 2020-12, as OpenAPI 3.1
 * uses) and reports each problem as a {@link FieldIssue}. A schema may carry `x-error-code` to
 * give its failures a specific code (e.g. `CORES_INVALID` on `req_cores`).
 */
export class SchemaValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(doc: OpenApiDocument = loadSpec()) {
    this.ajv = new Ajv2020({
      allErrors: true,
      verbose: true,
      strict: true,
      strictTypes: false,
      useDefaults: false,
    });
    addFormats(this.ajv);
    this.ajv.addVocabulary(['x-error-code', 'example', 'externalDocs', 'xml', 'discriminator']);
    this.ajv.addSchema({ $id: SPEC_ID, $defs: rewriteRefs(doc.components.schemas) as Obj });
  }

  /** Validates against `#/components/schemas/<name>`. */
  validateNamed(name: string, value: unknown, basePointer = ''): FieldIssue[] {
    return this.validate({ $ref: `#/components/schemas/${name}` }, value, basePointer);
  }

  /** Validates against an inline schema taken from the spec (its `$ref`s point into components). */
  validate(schema: unknown, value: unknown, basePointer = ''): FieldIssue[] {
    const key = JSON.stringify(schema);
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(rewriteRefs(schema) as Obj);
      this.compiled.set(key, fn);
    }
    if (fn(value)) return [];
    return toIssues(fn.errors ?? [], basePointer);
  }
}

function codeFor(e: ErrorObject): FieldIssueCode {
  const custom: unknown = e.parentSchema?.['x-error-code'];
  if (typeof custom === 'string' && e.keyword !== 'required' && e.keyword !== 'additionalProperties') {
    return custom as FieldIssueCode;
  }
  switch (e.keyword) {
    case 'required':
      return 'FIELD_REQUIRED';
    case 'additionalProperties':
      return 'FIELD_UNKNOWN';
    case 'type':
      return 'FIELD_TYPE';
    case 'enum':
    case 'const':
      return 'FIELD_ENUM';
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
    case 'minProperties':
    case 'maxProperties':
      return 'FIELD_RANGE';
    default:
      return 'FIELD_FORMAT';
  }
}

function describe(e: ErrorObject, pointer: string): string {
  const where = pointer || 'the body';
  const p = e.params as Obj;
  switch (e.keyword) {
    case 'required':
      return `${where} is missing the required field "${String(p['missingProperty'])}"`;
    case 'additionalProperties':
      return `${where} has an unknown field "${String(p['additionalProperty'])}"`;
    case 'type':
      return `${where} must be of type ${String(p['type'])}`;
    case 'enum':
      return `${where} must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `${where} has an invalid format (expected ${String(p['pattern'])})`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function toIssues(errors: readonly ErrorObject[], basePointer: string): FieldIssue[] {
  // A failed oneOf reports every branch's errors; keep the branch errors and drop the summary.
  const relevant = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const seen = new Set<string>();
  const out: FieldIssue[] = [];
  for (const e of relevant.length > 0 ? relevant : errors) {
    const p = e.params as Obj;
    let pointer = basePointer + e.instancePath;
    if (e.keyword === 'required') pointer += jsonPointer(String(p['missingProperty']));
    if (e.keyword === 'additionalProperties') pointer += jsonPointer(String(p['additionalProperty']));
    // A missing or unknown field is described from its parent object.
    const subject =
      e.keyword === 'required' || e.keyword === 'additionalProperties'
        ? basePointer + e.instancePath
        : pointer;
    const issue: FieldIssue = { code: codeFor(e), pointer, message: describe(e, subject) };
    const key = `${issue.code}|${issue.pointer}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

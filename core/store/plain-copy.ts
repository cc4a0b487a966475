/**
 * A deep copy of plain record data with the storage semantics of BSON, so the in-memory adapter
 * returns exactly what the MongoDB adapter would: object properties whose value is `undefined`
 * are dropped (the driver runs with `ignoreUndefined`), `undefined` array elements become `null`
 * (BSON arrays cannot have holes). Everything else is copied as is.
 *
 * `structuredClone` would keep the `undefined` properties and make the two adapters disagree
 * on `assert.deepStrictEqual`, which is why this exists.
 *
 * @param value - records: plain objects, arrays, strings, numbers, booleans and null.
 * @returns a copy sharing no mutable state with `value`.
 */
export function plainCopy<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v: unknown) => (v === undefined ? null : copy(v)));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) out[key] = copy(v);
  }
  return out;
}

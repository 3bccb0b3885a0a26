/**
 * AnyValue → label value, as Prometheus renders an attribute (pdata's `AsString`): strings as
 * they are, booleans and integers in decimal, doubles as JavaScript (ES6) prints them, bytes in
 * standard base64, arrays and key-value lists as compact JSON, an empty value as ''.
 */

/** An AnyValue as decoded, before rendering; `bytes` stays binary, lists nest. */
export type RawValue = string | number | bigint | boolean | Uint8Array | null | readonly RawValue[] | RawKvList;

export interface RawKvList {
  readonly kv: readonly (readonly [string, RawValue])[];
}

function isKvList(v: RawValue): v is RawKvList {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function toJson(v: RawValue): unknown {
  if (v === null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return (v as readonly RawValue[]).map(toJson);
  if (isKvList(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.kv) o[k] = toJson(x);
    return o;
  }
  return v;
}

export function renderAnyValue(v: RawValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(toJson(v));
}

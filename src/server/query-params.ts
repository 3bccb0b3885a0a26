/**
 * Parameters of Prometheus's query endpoints (`/api/v1/query`, `/api/v1/query_range`,
 * `/api/v1/format_query`), read and validated exactly as Prometheus's web API does, with its error
 * texts. Pure functions: the HTTP layer hands in the merged form values.
 */
import { parseDuration as parsePromDuration, matcherMatchesEmpty, parseExpr, parseSeriesSelector, type Expr } from '../promql/index.js';
import type { LabelMatcher, TypedError } from '../model/index.js';

/** A bad request parameter: the API answers 400 with errorType `bad_data` and this message. */
export class ApiParamError extends Error implements TypedError {
  override readonly name = 'ApiParamError';
  readonly errorType = 'bad_data' as const;
}

/** Form values: POST body fields first, then the URL query, as Go's `r.FormValue`. */
export interface FormValues {
  get(name: string): string | null;
}

/**
 * Merges the URL query string and an `application/x-www-form-urlencoded` body the way Go's
 * `Request.ParseForm` does: for a name present in both, the body's value wins.
 */
export function mergeFormValues(queryString: string, body?: string | null): URLSearchParams {
  const merged = new URLSearchParams(body ?? '');
  for (const [k, v] of new URLSearchParams(queryString)) merged.append(k, v);
  return merged;
}

/** Earliest / latest time a client can name: Prometheus's MinTime/MaxTime, clamped to safe ms. */
export const MIN_TIME_MS = Number.MIN_SAFE_INTEGER;
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

/** Go's strconv.ParseFloat syntax for decimal numbers and inf/infinity/nan, strictly (no spaces). */
function goParseFloat(s: string): number | null {
  const l = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(l)) return l.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(l)) return NaN;
  if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return null;
  return Number(s);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Years 0-99 need setUTCFullYear: Date.UTC maps them to 1900-1999.
  if (year < 100) {
    const d = new Date(ms);
    d.setUTCFullYear(year);
    ms = d.getTime();
  }
  if (m[7]) ms += Math.trunc(Number(`0.${m[7]}`) * 1000 + 1e-9);
  if (m[9]) {
    const offset = (Number(m[10]) * 60 + Number(m[11])) * 60_000;
    ms -= m[9] === '+' ? offset : -offset;
  }
  return ms;
}

/**
 * A time parameter: float Unix seconds (`1700000000.123`) or RFC 3339 (`2023-11-14T22:13:20.123Z`).
 * Returns integer milliseconds.
 */
export function parseTime(s: string): number {
  const f = goParseFloat(s);
  if (f !== null && Number.isFinite(f)) {
    // As Go: math.Modf, then the fraction rounded to milliseconds.
    const whole = Math.trunc(f);
    return whole * 1000 + Math.round((f - whole) * 1000);
  }
  const t = parseRfc3339(s);
  if (t !== null) return t;
  if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  throw new ApiParamError(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/**
 * The `timestamp` arg of `/api/v1/import/prometheus`: integer milliseconds, as VictoriaMetrics
 * reads it (not seconds, unlike the query API), or RFC 3339. Returns integer milliseconds.
 */
export function parseImportTimestamp(s: string): number {
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const ms = Math.round(Number(s));
    if (!Number.isSafeInteger(ms)) throw new ApiParamError(`timestamp ${JSON.stringify(s)} is out of range: want milliseconds since 1970`);
    return ms;
  }
  const t = parseRfc3339(s);
  if (t === null) throw new ApiParamError(`cannot parse ${JSON.stringify(s)}: want milliseconds since 1970 or RFC 3339`);
  return t;
}

/** A duration parameter: float seconds (`15`, `0.5`) or a Prometheus duration (`1m30s`). Milliseconds. */
export function parseApiDuration(s: string): number {
  const f = goParseFloat(s);
  if (f !== null) {
    const ns = f * 1e9;
    if (!(ns <= 2 ** 63 && ns >= -(2 ** 63))) {
      throw new ApiParamError(`cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`);
    }
    // time.Duration truncates to nanoseconds; we keep milliseconds.
    return Math.trunc(ns / 1e6);
  }
  try {
    return parsePromDuration(s);
  } catch {
    throw new ApiParamError(`cannot parse ${JSON.stringify(s)} to a valid duration`);
  }
}

function invalidParam(name: string, err: unknown): ApiParamError {
  const message = err instanceof Error ? err.message : String(err);
  return new ApiParamError(`invalid parameter ${JSON.stringify(name)}: ${message}`);
}

function value(form: FormValues, name: string): string {
  return form.get(name) ?? '';
}

/** `limit`: 0 (no limit) when absent. */
export function parseLimit(form: FormValues): number {
  const s = value(form, 'limit');
  if (s === '') return 0;
  if (!/^[+-]?[0-9]+$/.test(s)) throw invalidParam('limit', new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`));
  const n = Number(s);
  if (n < 0) throw invalidParam('limit', new Error('limit must be non-negative'));
  return n;
}

function parseTimeout(form: FormValues): number | null {
  const s = value(form, 'timeout');
  if (s === '') return null;
  try {
    return parseApiDuration(s);
  } catch (e) {
    throw invalidParam('timeout', e);
  }
}

function parseQuery(form: FormValues): { query: string; expr: Expr } {
  const query = value(form, 'query');
  try {
    return { query, expr: parseExpr(query) };
  } catch (e) {
    throw invalidParam('query', e);
  }
}

export interface InstantQueryParams {
  readonly query: string;
  /** The parsed query, ready for Engine.instantQuery. */
  readonly expr: Expr;
  readonly timeMs: number;
  /** From `timeout`, when given. */
  readonly timeoutMs: number | null;
  /** From `limit`; 0 means no limit. */
  readonly limit: number;
}

/** `/api/v1/query`: `query`, `time` (default now), `timeout`, `limit`. Throws ApiParamError. */
export function parseInstantQueryParams(form: FormValues, nowMs: number): InstantQueryParams {
  const limit = parseLimit(form);
  let timeMs = nowMs;
  const t = value(form, 'time');
  if (t !== '') {
    try {
      timeMs = parseTime(t);
    } catch (e) {
      throw invalidParam('time', new Error(`invalid time value for 'time': ${(e as Error).message}`));
    }
  }
  const timeoutMs = parseTimeout(form);
  const { query, expr } = parseQuery(form);
  return { query, expr, timeMs, timeoutMs, limit };
}

export interface RangeQueryParams {
  readonly query: string;
  readonly expr: Expr;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly timeoutMs: number | null;
  readonly limit: number;
}

/** Prometheus caps a range query at this many points per series. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** `/api/v1/query_range`: `query`, `start`, `end`, `step`, `timeout`, `limit`. Throws ApiParamError. */
export function parseRangeQueryParams(form: FormValues): RangeQueryParams {
  const limit = parseLimit(form);
  let startMs: number;
  let endMs: number;
  try {
    startMs = parseTime(value(form, 'start'));
  } catch (e) {
    throw invalidParam('start', e);
  }
  try {
    endMs = parseTime(value(form, 'end'));
  } catch (e) {
    throw invalidParam('end', e);
  }
  if (endMs < startMs) throw invalidParam('end', new Error('end timestamp must not be before start time'));
  let stepMs: number;
  try {
    stepMs = parseApiDuration(value(form, 'step'));
  } catch (e) {
    throw invalidParam('step', e);
  }
  if (stepMs <= 0) {
    throw invalidParam('step', new Error('zero or negative query resolution step widths are not accepted. Try a positive integer'));
  }
  if (Math.floor((endMs - startMs) / stepMs) > MAX_POINTS_PER_SERIES) {
    throw new ApiParamError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  }
  const timeoutMs = parseTimeout(form);
  const { query, expr } = parseQuery(form);
  return { query, expr, startMs, endMs, stepMs, timeoutMs, limit };
}

/** `/api/v1/format_query`: the parsed `query`. Throws ApiParamError. */
export function parseFormatQueryParams(form: FormValues): { query: string; expr: Expr } {
  return parseQuery(form);
}

/**
 * `match[]` values (series, labels and federation endpoints) → one matcher list per selector.
 * Each must constrain something, as Prometheus requires. Throws ApiParamError.
 */
export function parseMatchParams(values: readonly string[]): LabelMatcher[][] {
  const sets: LabelMatcher[][] = [];
  for (const v of values) {
    let matchers: LabelMatcher[];
    try {
      matchers = parseSeriesSelector(v, { allowEmpty: true });
    } catch (e) {
      throw invalidParam('match[]', e);
    }
    if (!matchers.some((m) => !matcherMatchesEmpty(m))) {
      throw invalidParam('match[]', new Error('match[] must contain at least one non-empty matcher'));
    }
    sets.push(matchers);
  }
  return sets;
}

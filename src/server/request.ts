/** The request and response shapes every handler sees; independent of uWebSockets.js. */
import type { Tenant } from '../model/index.js';

export interface Request {
  /** Upper-case method. */
  readonly method: string;
  /** The path after tenant-prefix normalisation (e.g. `/api/v1/write`). */
  readonly path: string;
  /** The path as received. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** The query string as received, without `?` (redirects pass it on unchanged). */
  readonly rawQuery: string;
  /** Lower-case header names. */
  readonly headers: ReadonlyMap<string, string>;
  /** Route parameters (`:name` segments). */
  readonly params: Readonly<Record<string, string>>;
  readonly tenant: Tenant;
  /** Aborted when the client goes away or the route's deadline passes. */
  readonly signal: AbortSignal;
  /** The whole body, read under the route's size limit (HttpError 413 past it). */
  body(): Promise<Uint8Array>;
  /** Query arguments merged with an `application/x-www-form-urlencoded` body, as Prometheus reads them. */
  form(): Promise<URLSearchParams>;
}

export type Chunk = string | Uint8Array;

export interface Response {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A whole body; or `stream` for bodies written piece by piece with backpressure. */
  readonly body?: Chunk;
  readonly stream?: AsyncIterable<Chunk>;
}

export type Handler = (req: Request) => Promise<Response> | Response;

export function json(value: unknown, status = 200): Response {
  return { status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) };
}

export function text(body: string, status = 200, contentType = 'text/plain; charset=utf-8'): Response {
  return { status, headers: { 'Content-Type': contentType }, body };
}

/** Prometheus API success envelope. */
export function apiSuccess(data: unknown, extra?: { warnings?: string[]; infos?: string[] }): Response {
  const out: Record<string, unknown> = { status: 'success', data };
  if (extra?.warnings?.length) out.warnings = extra.warnings;
  if (extra?.infos?.length) out.infos = extra.infos;
  return json(out);
}

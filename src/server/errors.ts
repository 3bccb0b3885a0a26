/** Errors that map to an HTTP status, rendered in Prometheus's JSON error envelope. */
import { errorTypeForStatus, httpStatusOf, type ErrorType, type TypedError } from '../model/index.js';
import { IndexError } from '../index/index.js';
import { LimitError } from '../db/index.js';
import { IngestError } from '../ingest/index.js';
import { DurationError, ParseError } from '../promql/index.js';
import { StorageError } from '../storage/index.js';

export type { ErrorType } from '../model/index.js';

export class HttpError extends Error implements TypedError {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType: ErrorType = errorTypeForStatus(status),
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** How the API answers a thrown value. */
export interface ErrorAnswer {
  readonly status: number;
  readonly errorType: ErrorType;
  /** False for failures no class accounts for: a bug, worth a log line with its stack. */
  readonly known: boolean;
}

/**
 * The one mapping from what a handler threw to its answer, as Prometheus's `getDefaultErrorCode`
 * and `returnAPIError` do: an error that carries its type keeps it; a query that does not parse
 * is the client's mistake, and so is what the label index refuses; a --search.* limit is an
 * execution error; a storage failure during a request is ours (500); anything else gets `fallback`
 * (query endpoints: `execution`, as in Prometheus; other endpoints: `internal`).
 */
export function classifyError(e: unknown, fallback: ErrorType): ErrorAnswer {
  const typed = (errorType: ErrorType, status = httpStatusOf(errorType)): ErrorAnswer => ({ status, errorType, known: true });
  if (e instanceof HttpError) return typed(e.errorType, e.status);
  if (e instanceof IngestError) return typed(errorTypeForStatus(e.status), e.status);
  if (e instanceof Error && isTyped(e)) return typed(e.errorType);
  if (e instanceof ParseError || e instanceof DurationError) return typed('bad_data');
  if (e instanceof LimitError) return typed('execution');
  // The label index's own errors are about its input (docs on IndexError); storage's are ours.
  if (e instanceof IndexError) return typed('bad_data');
  if (e instanceof StorageError) return typed('internal');
  return { status: httpStatusOf(fallback), errorType: fallback, known: false };
}

function isTyped(e: Error): e is TypedError {
  const t = (e as Partial<TypedError>).errorType;
  return typeof t === 'string' && t in ERROR_TYPES;
}

const ERROR_TYPES: Readonly<Record<ErrorType, true>> = {
  bad_data: true,
  execution: true,
  timeout: true,
  canceled: true,
  internal: true,
  unavailable: true,
  not_found: true,
  unauthorized: true,
  too_large: true,
  unsupported_media_type: true,
  too_many_requests: true,
};

/** `{"status":"error","errorType":"bad_data","error":"..."}` exactly as Prometheus writes it. */
export function errorBody(errorType: ErrorType, message: string): string {
  return JSON.stringify({ status: 'error', errorType, error: message });
}

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** uWS wants the whole status line text, e.g. `204 No Content`. */
export function statusLine(status: number): string {
  return `${status} ${REASONS[status] ?? 'Unknown'}`;
}

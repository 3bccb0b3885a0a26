/**
 * The kinds of failure the HTTP API reports, as Prometheus's `errorType` names them (plus the
 * ones only our ingestion and admin endpoints use), and the status each one answers with. Errors
 * that know their kind carry it as `errorType`; the server maps everything else by class
 * (server/errors.ts).
 */
export type ErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'canceled'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'unauthorized'
  | 'too_large'
  | 'unsupported_media_type'
  | 'too_many_requests';

const STATUS: Readonly<Record<ErrorType, number>> = {
  bad_data: 400,
  unauthorized: 401,
  not_found: 404,
  too_large: 413,
  unsupported_media_type: 415,
  execution: 422,
  too_many_requests: 429,
  canceled: 499,
  internal: 500,
  timeout: 503,
  unavailable: 503,
};

/** The HTTP status Prometheus answers an error of this type with. */
export function httpStatusOf(errorType: ErrorType): number {
  return STATUS[errorType];
}

/** The type of an error known only by its status. */
export function errorTypeForStatus(status: number): ErrorType {
  switch (status) {
    case 400:
      return 'bad_data';
    case 401:
      return 'unauthorized';
    case 404:
      return 'not_found';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'execution';
    case 429:
      return 'too_many_requests';
    case 499:
      return 'canceled';
    case 503:
      return 'timeout';
    default:
      return status >= 500 ? 'internal' : 'bad_data';
  }
}

/** An error that says which kind it is. */
export interface TypedError extends Error {
  readonly errorType: ErrorType;
}

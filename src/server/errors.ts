/** Errors that map to an HTTP status, rendered in Prometheus's JSON error envelope. */

export type ErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable' | 'not_found' | 'unauthorized' | 'too_large' | 'unsupported_media_type' | 'too_many_requests';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType: ErrorType = defaultErrorType(status),
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

function defaultErrorType(status: number): ErrorType {
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
    case 503:
      return 'timeout';
    default:
      return status >= 500 ? 'internal' : 'bad_data';
  }
}

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

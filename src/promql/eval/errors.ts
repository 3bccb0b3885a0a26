/** What went wrong, in the words of Prometheus's API `errorType`. */
export type PromQLErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled';

/**
 * Every failure of a query surfaces as this error. `bad_data` maps to HTTP 400, `execution` to 422,
 * `timeout` and `canceled` to 503.
 */
export class PromQLError extends Error {
  readonly type: PromQLErrorType;
  constructor(type: PromQLErrorType, message: string) {
    super(message);
    this.name = 'PromQLError';
    this.type = type;
  }
}

export function executionError(message: string): PromQLError {
  return new PromQLError('execution', message);
}

export const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

export function tooManySamplesError(): PromQLError {
  return new PromQLError('execution', 'query processing would load too many samples into memory in query execution');
}

export function timeoutError(where: string): PromQLError {
  return new PromQLError('timeout', `query timed out in ${where}`);
}

export function canceledError(where: string): PromQLError {
  return new PromQLError('canceled', `query was canceled in ${where}`);
}

import type { ErrorType, TypedError } from '../../model/index.js';

/** What went wrong, in the words of Prometheus's API `errorType`. */
export type PromQLErrorType = Extract<ErrorType, 'bad_data' | 'execution' | 'timeout' | 'canceled'>;

/**
 * Every failure of a query surfaces as this error; the API answers with the status of its
 * `errorType` (model/errors.ts).
 */
export class PromQLError extends Error implements TypedError {
  readonly errorType: PromQLErrorType;
  constructor(errorType: PromQLErrorType, message: string) {
    super(message);
    this.name = 'PromQLError';
    this.errorType = errorType;
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

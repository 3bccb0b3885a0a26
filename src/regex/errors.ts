import type { TypedError } from '../model/index.js';

/** A pattern RE2 would reject (or one too large to compile): the client's mistake, a 400. */
export class RegexError extends Error implements TypedError {
  override readonly name = 'RegexError';
  readonly errorType = 'bad_data' as const;
}

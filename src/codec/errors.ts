/** Raised for bad input to an encoder or a block that cannot be decoded (corrupt, truncated, wrong count). */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

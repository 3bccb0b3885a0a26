/** Every failure the label index reports on bad input (invalid regex, oversize label, bad id). */
export class IndexError extends Error {
  override readonly name = 'IndexError';
}

import { IngestError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Body bytes → string for the text formats; invalid UTF-8 is a 400, not silent U+FFFD. */
export function decodeText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return strictUtf8.decode(input);
  } catch {
    throw new IngestError(400, 'request body is not valid UTF-8');
  }
}

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

/** Calls fn for each line (1-based number), without its `\n` or `\r\n` ending. */
export function forEachLine(text: string, fn: (line: string, lineNo: number) => void): void {
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    fn(text.slice(start, end), ++lineNo);
    start = nl + 1;
  }
}

/** sha256 checked as bytes stream past: a mismatch fails the stream, so nothing is committed. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from './errors.js';

export function corruptLine(path: string, expected: string, got: string): string {
  return `CORRUPT ${path} expected=${expected} got=${got}`;
}

export function checkSha256(expected: string, path: string, expectedSize: number): Transform {
  const h = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      h.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      const got = h.digest('hex');
      if (got !== expected) done(new IntegrityError(corruptLine(path, `sha256:${expected}`, `sha256:${got}`)));
      else if (size !== expectedSize) done(new IntegrityError(corruptLine(path, `size:${expectedSize}`, `size:${size}`)));
      else done();
    },
  });
}

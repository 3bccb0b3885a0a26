/**
 * `-maxBytesPerSecond`: one budget shared by every concurrent transfer. Each chunk books its
 * slot on a timeline advancing at the allowed rate and waits until its slot starts, so over any
 * stretch longer than a chunk's slot the rate holds (chunks are cut to 64 KiB for that).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Transform, type TransformCallback } from 'node:stream';

const SLICE = 64 * 1024;

export class RateLimiter {
  private next = 0;

  constructor(readonly bytesPerSecond: number) {}

  async take(bytes: number): Promise<void> {
    if (this.bytesPerSecond <= 0) return;
    const now = performance.now();
    const at = Math.max(this.next, now);
    this.next = at + (bytes / this.bytesPerSecond) * 1000;
    if (at > now) await sleep(at - now);
  }
}

/** Passes bytes through at the limiter's rate and reports each piece (for progress). */
export function meter(limiter: RateLimiter | null, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      void (async () => {
        const step = limiter ? SLICE : chunk.length || 1;
        for (let off = 0; off < chunk.length; off += step) {
          const piece = chunk.subarray(off, Math.min(chunk.length, off + step));
          if (limiter) await limiter.take(piece.length);
          this.push(piece);
          onBytes(piece.length);
        }
      })().then(() => done(), done);
    },
  });
}

import { constants, createDeflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';

/**
 * Raw DEFLATE of many small buffers through one zlib stream, reset between buffers. Each
 * `deflateRawSync` call builds a zlib stream object, allocates and clears its state (128–384 KB)
 * and tears it down: on blocks of a few hundred bytes that was a third of the deflate's cost,
 * and a merge deflates hundreds of thousands of them. The output is the same kind of stream
 * (any inflater reads it), at the same level and window.
 *
 * It drives the stream's native handle synchronously (`_handle.writeSync`, as `deflateRawSync`
 * does internally); where that is not available, or the handle fails, it falls back to
 * `deflateRawSync`, so the result never depends on the fast path.
 */

interface NativeZlib {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

interface StreamInternals {
  _handle?: NativeZlib;
  _writeState?: Uint32Array;
}

export class RawDeflater {
  private handle: NativeZlib | null = null;
  private state: Uint32Array | null = null;
  private out = Buffer.allocUnsafe(0);

  constructor(private readonly opts: ZlibOptions) {
    this.open();
  }

  private open(): void {
    try {
      const s = createDeflateRaw(this.opts) as unknown as StreamInternals;
      const h = s._handle;
      const st = s._writeState;
      if (h && typeof h.writeSync === 'function' && typeof h.reset === 'function' && st instanceof Uint32Array && st.length >= 2) {
        this.handle = h;
        this.state = st;
      }
    } catch {
      this.handle = null;
    }
  }

  /**
   * `input` deflated, or null when the result would exceed `limit` bytes (the caller keeps the
   * input then: deflate stops as soon as its output is full). The returned bytes are a view of a
   * buffer the next call overwrites.
   */
  deflate(input: Uint8Array, limit = Infinity): Uint8Array | null {
    if (this.handle) {
      // The stored-block worst case: 5 bytes per 16 KB block plus a few for the stream's end.
      const room = Math.min(limit, input.length + 5 * ((input.length >> 14) + 1) + 16);
      if (this.out.length < room) this.out = Buffer.allocUnsafe(Math.max(room, 2 * this.out.length, 4096));
      try {
        this.handle.writeSync(constants.Z_FINISH, input, 0, input.length, this.out, 0, room);
        const availOut = this.state![0]!;
        const availIn = this.state![1]!;
        this.handle.reset();
        // Input left, or no output room left: the stream did not end within `room` bytes.
        if (availIn !== 0 || availOut === 0) return room < limit ? this.fallback(input, limit) : null;
        return this.out.subarray(0, room - availOut);
      } catch {
        this.handle = null;
        this.open();
      }
    }
    return this.fallback(input, limit);
  }

  private fallback(input: Uint8Array, limit: number): Uint8Array | null {
    const z = deflateRawSync(input, this.opts);
    return z.length <= limit ? z : null;
  }
}

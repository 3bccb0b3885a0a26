import { CodecError } from './errors.js';
import type { HistogramRows } from './histogram-row.js';
import { instantiateCodecWasm } from './wasm.js';

// The project's lib settings carry no WebAssembly typings, so the little used is declared here.
interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  arenaBase(): number;
  encodeHistograms(rows: number, offsets: number, count: number, out: number, prev: number): number;
  decodeHistograms(src: number, len: number, count: number, out: number, outCap: number, outOffsets: number, scratch: number): number;
  histErrorDetailA(): number;
  histErrorDetailB(): number;
}

const PAGE = 65536;
const E_SPACE = 10;
const align16 = (n: number): number => (n + 15) & ~15;

const MESSAGES: Record<number, string> = {
  1: 'truncated',
  2: 'wrong header byte',
  3: 'wrong sample count',
  4: 'varint too long',
  5: 'bad XOR control byte',
  6: 'run past the block',
  7: 'bad layout',
  8: 'trailing bytes',
  9: 'malformed row',
};

/**
 * The histogram column on WebAssembly (native/histograms.ts): the same bytes as the TypeScript
 * reference, which stays the oracle (test/codec/histograms.test.ts checks both on random input).
 * One arena per instance, grown to the largest block seen.
 */
export class HistogramWasm {
  private constructor(private readonly x: Exports) {}

  static load(): HistogramWasm | string {
    const e = instantiateCodecWasm();
    return typeof e === 'string' ? e : new HistogramWasm(e as unknown as Exports);
  }

  private base(): number {
    return align16(this.x.arenaBase());
  }

  private room(end: number): Uint8Array {
    const have = this.x.memory.buffer.byteLength;
    if (end > have) this.x.memory.grow(Math.ceil((end - have) / PAGE));
    return new Uint8Array(this.x.memory.buffer);
  }

  private fail(what: string, code: number): never {
    throw new CodecError(`histogram column: ${what}: ${MESSAGES[-code] ?? `error ${-code}`} (${this.x.histErrorDetailA()}, ${this.x.histErrorDetailB()})`);
  }

  encode(rows: HistogramRows, count: number): Uint8Array {
    if (!(Number.isInteger(count) && count >= 0 && count <= rows.count))
      throw new CodecError(`histogram column: count ${count} does not fit ${rows.count} rows`);
    const bytes = rows.offsets[count]! - rows.offsets[0]!;
    let widest = 0;
    for (let i = 0; i < count; i++) widest = Math.max(widest, rows.offsets[i + 1]! - rows.offsets[i]!);
    const r = this.base();
    const o = align16(r + rows.bytes.length + 64);
    const out = align16(o + 4 * (count + 1) + 16);
    const prev = align16(out + 16 + 2 * bytes + 64);
    const mem = this.room(prev + Math.max(widest, 8 * count) + 64);
    mem.set(rows.bytes, r);
    new Uint32Array(mem.buffer, o, count + 1).set(rows.offsets.subarray(0, count + 1));
    const n = this.x.encodeHistograms(r, o, count, out, prev);
    if (n < 0) this.fail('encode', n);
    return new Uint8Array(this.x.memory.buffer).slice(out, out + n);
  }

  decode(src: Uint8Array, count: number): HistogramRows {
    if (!(Number.isInteger(count) && count >= 0)) throw new CodecError(`histogram column: bad count ${count}`);
    let cap = Math.max(1024, count * 128, src.length * 16);
    for (;;) {
      const s = this.base();
      const offs = align16(s + src.length + 64);
      const scratch = align16(offs + 4 * (count + 1) + 16);
      const out = align16(scratch + 80 * src.length + 64);
      const mem = this.room(out + cap + 64);
      mem.set(src, s);
      const n = this.x.decodeHistograms(s, src.length, count, out, cap, offs, scratch);
      if (n === -E_SPACE) {
        cap = Math.max(cap * 2, this.x.histErrorDetailA() * 2);
        continue;
      }
      if (n < 0) this.fail('decode', n);
      const m = new Uint8Array(this.x.memory.buffer);
      return { count, offsets: new Uint32Array(m.buffer, offs, count + 1).slice(), bytes: m.slice(out, out + n) };
    }
  }
}

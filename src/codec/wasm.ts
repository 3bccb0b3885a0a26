import { readGeneratedFile } from '../runtime/index.js';
import { checkDecodeArgs, checkEncodeArgs, checkRangeArgs } from './check.js';
import { CodecError } from './errors.js';
import { maxEncodedSize } from './format.js';
import { referenceCodec, type CodecBackend } from './reference.js';

// The project's lib settings carry no WebAssembly typings, so the little we use is declared here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface WasmExports {
  readonly memory: WasmMemory;
  arenaBase(): number;
  errorDetailA(): number;
  errorDetailB(): number;
  encodeTimestamps(ts: number, count: number, out: number, scratch: number): number;
  decodeTimestamps(src: number, len: number, count: number, out: number, scratch: number): number;
  encodeValues(vals: number, count: number, out: number, scratch: number): number;
  decodeValues(src: number, len: number, count: number, n: number, out: number, scratch: number): number;
  decodeRange(
    tsSrc: number,
    tsLen: number,
    valSrc: number,
    valLen: number,
    count: number,
    t1: number,
    t2: number,
    outTs: number,
    outVals: number,
    scratch: number,
  ): number;
}

/** Larger blocks (storage blocks hold ≤ 8192) go to the reference codec, so the arena stays a few MB. */
const WASM_MAX_COUNT = 1 << 16;
const PAGE = 65536;

const align16 = (n: number): number => (n + 15) & ~15;

/**
 * The WASM backend. Linear memory is one arena laid out for the largest block seen so far:
 *   A: count f64 (timestamps in/out)   B: count f64 (values in/out)   S: scratch (25 bytes a sample)
 *   T: timestamp block bytes            V: value block bytes
 * with slack after each region so the module's 8-byte loads near a region's end stay in bounds.
 */
class WasmCodec implements CodecBackend {
  readonly name = 'wasm' as const;
  private cap = 0;
  private a = 0;
  private b = 0;
  private s = 0;
  private t = 0;
  private v = 0;
  private u8 = new Uint8Array(0);
  private f64 = new Float64Array(0);

  constructor(private readonly x: WasmExports) {
    this.ensure(8192);
  }

  private ensure(count: number): void {
    if (count <= this.cap && this.u8.buffer === this.x.memory.buffer) return;
    if (count > this.cap) {
      const cap = Math.max(count, this.cap * 2, 8192);
      const bytes = maxEncodedSize(cap) + 64;
      this.a = align16(this.x.arenaBase());
      this.b = align16(this.a + cap * 8 + 16);
      this.s = align16(this.b + cap * 8 + 16);
      this.t = align16(this.s + cap * 25 + 64);
      this.v = align16(this.t + bytes);
      const end = this.v + bytes;
      const have = this.x.memory.buffer.byteLength;
      if (end > have) this.x.memory.grow(Math.ceil((end - have) / PAGE));
      this.cap = cap;
    }
    this.u8 = new Uint8Array(this.x.memory.buffer);
    this.f64 = new Float64Array(this.x.memory.buffer);
  }

  private fail(what: string, code: number): never {
    const a = this.x.errorDetailA();
    const b = this.x.errorDetailB();
    throw new CodecError(`${what}: ${describe(-code, a, b)}`);
  }

  private putSamples(at: number, src: Float64Array, count: number): void {
    // Same-type TypedArray.set copies bytes, so NaN payloads arrive unchanged.
    this.f64.set(count === src.length ? src : src.subarray(0, count), at >>> 3);
  }

  private putBlock(what: string, at: number, src: Uint8Array, count: number): void {
    if (src.length > maxEncodedSize(count)) {
      throw new CodecError(`${what}: block of ${src.length} bytes is larger than any valid block of ${count} samples`);
    }
    this.u8.set(src, at);
  }

  encodeTimestamps(ts: Float64Array, count: number): Uint8Array {
    checkEncodeArgs('encodeTimestamps', ts, count);
    if (count > WASM_MAX_COUNT) return referenceCodec.encodeTimestamps(ts, count);
    this.ensure(count);
    this.putSamples(this.a, ts, count);
    const len = this.x.encodeTimestamps(this.a, count, this.t, this.s);
    return this.u8.slice(this.t, this.t + len);
  }

  decodeTimestamps(src: Uint8Array, count: number, out: Float64Array): void {
    checkDecodeArgs('decodeTimestamps', src, count, out);
    if (count > WASM_MAX_COUNT) return referenceCodec.decodeTimestamps(src, count, out);
    this.ensure(count);
    this.putBlock('decodeTimestamps', this.t, src, count);
    const r = this.x.decodeTimestamps(this.t, src.length, count, this.a, this.s);
    if (r < 0) this.fail('decodeTimestamps', r);
    out.set(this.f64.subarray(this.a >>> 3, (this.a >>> 3) + count));
  }

  encodeValues(values: Float64Array, count: number): Uint8Array {
    checkEncodeArgs('encodeValues', values, count);
    if (count > WASM_MAX_COUNT) return referenceCodec.encodeValues(values, count);
    this.ensure(count);
    this.putSamples(this.b, values, count);
    const len = this.x.encodeValues(this.b, count, this.v, this.s);
    return this.u8.slice(this.v, this.v + len);
  }

  decodeValues(src: Uint8Array, count: number, out: Float64Array): void {
    this.decodeValuesPrefix(src, count, count, out);
  }

  decodeValuesPrefix(src: Uint8Array, count: number, n: number, out: Float64Array): void {
    checkDecodeArgs('decodeValues', src, n, out);
    if (!Number.isInteger(count) || count < n) throw new CodecError(`decodeValues: count ${count} is smaller than the ${n} values asked for`);
    if (count > WASM_MAX_COUNT) return referenceCodec.decodeValuesPrefix(src, count, n, out);
    this.ensure(count);
    this.putBlock('decodeValues', this.v, src, count);
    const r = this.x.decodeValues(this.v, src.length, count, n, this.b, this.s);
    if (r < 0) this.fail('decodeValues', r);
    out.set(this.f64.subarray(this.b >>> 3, (this.b >>> 3) + n));
  }

  decodeBlockRange(tsSrc: Uint8Array, valSrc: Uint8Array, count: number, t1: number, t2: number, outTs: Float64Array, outVals: Float64Array): number {
    checkRangeArgs(count, t1, t2);
    if (count > WASM_MAX_COUNT) return referenceCodec.decodeBlockRange(tsSrc, valSrc, count, t1, t2, outTs, outVals);
    if (tsSrc.length === 0) throw new CodecError('decodeTimestamps: empty block');
    this.ensure(count);
    this.putBlock('decodeTimestamps', this.t, tsSrc, count);
    this.putBlock('decodeValues', this.v, valSrc, count);
    const n = this.x.decodeRange(this.t, tsSrc.length, this.v, valSrc.length, count, t1, t2, this.a, this.b, this.s);
    if (n < 0) this.fail('decodeBlockRange', n);
    if (n > outTs.length || n > outVals.length) {
      throw new CodecError(`decodeBlockRange: ${n} samples match but the output arrays hold ${Math.min(outTs.length, outVals.length)}`);
    }
    outTs.set(this.f64.subarray(this.a >>> 3, (this.a >>> 3) + n));
    outVals.set(this.f64.subarray(this.b >>> 3, (this.b >>> 3) + n));
    return n;
  }
}

/** Messages for the module's error codes (native/format.ts E_*). */
function describe(code: number, a: number, b: number): string {
  switch (code) {
    case 1:
      return a > 0 ? `codec block truncated: needs ${a} bytes, ${b} left` : 'codec block truncated';
    case 2:
      return `unsupported codec format version ${a}`;
    case 3:
      return `block holds ${a} samples, caller expected ${b}`;
    case 4:
      return `unknown codec kind ${a}`;
    case 5:
      return `codec block corrupt: packed width ${a} exceeds 54`;
    case 6:
      return 'codec block corrupt: varint out of range';
    case 7:
      return `${a} trailing bytes after the block`;
    case 8:
      return `decimal exponent ${a} out of range`;
    case 9:
      return `${a} exceptions in a block of ${b}`;
    case 10:
      return `exception index ${a} beyond the block's ${b} samples`;
    case 11:
      return 'codec block corrupt: Gorilla window reused before one was set';
    case 12:
      return `codec block corrupt: Gorilla window of ${a} leading zeros and ${b} bits exceeds 64 bits`;
    case 13:
      return `block kind ${a} cannot hold only ${b} samples`;
    default:
      return `codec error ${code}`;
  }
}

/** Why the last load attempt fell back to TypeScript, for diagnostics. */
export let wasmLoadError: string | null = null;

/**
 * Compiles and instantiates the WASM codecs synchronously, or returns null (with wasmLoadError set)
 * when the module is missing or WebAssembly is unavailable. Each thread calls this once.
 */
export function loadWasmCodec(): CodecBackend | null {
  const exports = instantiateCodecWasm();
  if (typeof exports === 'string') {
    wasmLoadError = exports;
    return null;
  }
  wasmLoadError = null;
  return new WasmCodec(exports as unknown as WasmExports);
}

/**
 * A fresh instance of the compiled codec module (its own linear memory), or why there is none.
 * The histogram column (histogram-wasm.ts) takes one of its own, so the two arenas never meet.
 */
export function instantiateCodecWasm(): object | string {
  if (wasmApi === undefined) return 'WebAssembly is not available';
  const bytes = readGeneratedFile(import.meta.url, 'codec', 'codec.wasm');
  if (bytes === null) return 'codec.wasm not found (run `node scripts/build.mjs`)';
  try {
    const module = new wasmApi.Module(bytes);
    const instance = new wasmApi.Instance(module, {
      env: {
        abort(): never {
          throw new CodecError('WASM codec aborted');
        },
      },
    });
    return instance.exports;
  } catch (e) {
    return `WebAssembly codec failed to load: ${(e as Error).message}`;
  }
}

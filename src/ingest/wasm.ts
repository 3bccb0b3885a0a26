import { readGeneratedFile } from '../runtime/index.js';

/**
 * This thread's instance of the ingest WebAssembly module (native/ingest/: snappy block
 * decompression, the common case of a remote write 1.0 body, the series key hash). Its linear
 * memory is one arena: fixed-size columns the walker fills, then the compressed body and its
 * decompressed bytes, each followed by 16 bytes of slack (the module moves short runs 16 bytes at
 * a time). The arena grows with the largest body seen and never shrinks.
 */

// The project's lib settings carry no WebAssembly typings, so the little we use is declared here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmGlobal {
  readonly value: number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

export interface IngestWasmExports {
  readonly memory: WasmMemory;
  arenaBase(): number;
  snappyDecode(src: number, start: number, n: number, out: number, length: number): number;
  readonly snappyErrAt: WasmGlobal;
  readonly snappyErrValue: WasmGlobal;
  hashKey(s: number, e: number, out: number): void;
  walkRemoteWriteV1(
    base: number,
    len: number,
    pos: number,
    seriesCol: number,
    tsCol: number,
    valueCol: number,
    capSamples: number,
    keyRanges: number,
    keyHashes: number,
    capSeries: number,
    seriesBase: number,
    maxLabels: number,
    maxName: number,
    maxValue: number,
    maxPairBytes: number,
    legacy: number,
  ): number;
  splitTopLevelFields(base: number, len: number, maxChunk: number, out: number, cap: number): number;
  readonly walkStatus: WasmGlobal;
  readonly walkSamples: WasmGlobal;
  readonly walkSeries: WasmGlobal;
}

const PAGE = 65536;
const SLACK = 16;
/** Rows of the walker's columns: a 10k-sample request fits in one walk. */
export const WALK_SAMPLES = 16384;
export const WALK_SERIES = 16384;
/** walkStatus: the columns filled up; drain them and walk on (native/ingest/remote-write.ts). */
export const WALK_FULL = 1;

const align16 = (n: number): number => (n + 15) & ~15;

export class IngestWasm {
  /** Sample columns: u32 series index, f64 timestamp, f64 value bits; series columns: u32 pairs (key range), 4 u32 (hash). */
  readonly sampleSeries: number;
  readonly sampleTs: number;
  readonly sampleValues: number;
  readonly keyRanges: number;
  readonly keyHashes: number;
  /** Where the variable part (input, then output) starts. */
  private readonly bodies: number;
  private bytes = new Uint8Array(0);

  constructor(readonly x: IngestWasmExports) {
    let at = align16(x.arenaBase());
    const take = (n: number): number => {
      const p = at;
      at = align16(at + n);
      return p;
    };
    this.sampleSeries = take(WALK_SAMPLES * 4);
    this.sampleTs = take(WALK_SAMPLES * 8);
    this.sampleValues = take(WALK_SAMPLES * 8);
    this.keyRanges = take(WALK_SERIES * 8);
    this.keyHashes = take(WALK_SERIES * 16);
    this.bodies = at;
    this.ensure(at);
  }

  /** All of linear memory as bytes (a new view after the memory grew). */
  get u8(): Uint8Array {
    if (this.bytes.buffer !== this.x.memory.buffer) this.bytes = new Uint8Array(this.x.memory.buffer);
    return this.bytes;
  }

  private ensure(end: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (end > have) this.x.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /**
   * Room for an input of `inLen` bytes and an output of `outLen`, both with their slack; returns
   * where each starts. Earlier contents are void.
   */
  reserve(inLen: number, outLen: number): { readonly input: number; readonly output: number } {
    const input = this.bodies;
    const output = align16(input + inLen + SLACK);
    this.ensure(output + outLen + SLACK);
    return { input, output };
  }
}

let instance: IngestWasm | null = null;

/** Linear memory above this is given back after the request that grew it (a new instance starts small). */
const KEEP_BYTES = 32 * 1024 * 1024;

/**
 * Drops this thread's instance when one large body grew its memory past KEEP_BYTES: WebAssembly
 * memory never shrinks, and a worker should not hold a 64 MiB arena for the rest of its life
 * because of one request. Call when nothing refers to the arena any more.
 */
export function releaseLargeArena(): void {
  if (instance !== null && instance.x.memory.buffer.byteLength > KEEP_BYTES) instance = null;
}

/** This thread's instance, compiled on first use. Without the built module decoding cannot work, so that is an error. */
export function ingestWasm(): IngestWasm {
  if (instance !== null) return instance;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('WebAssembly is not available: remote-write decoding needs it');
  const bytes = readGeneratedFile(import.meta.url, 'ingest', 'ingest.wasm');
  if (bytes === null) throw new Error('ingest.wasm not found (run `node scripts/build.mjs`)');
  const inst = new api.Instance(new api.Module(bytes), {
    env: {
      abort(): never {
        throw new Error('ingest WASM module aborted');
      },
    },
  });
  instance = new IngestWasm(inst.exports as IngestWasmExports);
  return instance;
}

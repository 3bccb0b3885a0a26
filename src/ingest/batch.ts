import type { Label, Labels } from '../model/index.js';
import { histogramRowSize, writeHistogramRow, type HistogramRows } from '../codec/index.js';
import type { FloatHistogram } from '../model/index.js';
import { hashKeyBytes, hashKeyString, KEY_HASH_LANES } from './key-hash.js';
import { canonicalKey, labelsFromKey, labelsFromKeyBytes } from './label-key.js';
import type { IngestLimits } from './limits.js';
import type { ExemplarRow } from './exemplars.js';
import { KeyNotKeptError, type KnownIds } from './id-lookup.js';
import { checkLabels } from './validate.js';

export type MetricType = 'unknown' | 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset';

/** One metric family's metadata, as `/api/v1/metadata` serves it. */
export interface MetricMetadata {
  readonly metricFamilyName: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

export interface DroppedStats {
  /** Series rejected by validation (their samples are counted in `samples`). */
  readonly series: number;
  readonly samples: number;
  /** The first few reasons verbatim (see `IngestLimits.maxReasons`). */
  readonly reasons: readonly string[];
}

/**
 * What every decoder returns: the accepted series and their samples in columns. Series i is known
 * by `keys[i]` (see label-key.ts: equal label sets give equal keys in every format), so the caller's
 * key → series-id cache needs no Label objects; `labels(i)` builds them only on a cache miss.
 * Several entries may share a key (the same series twice in one request).
 */
export interface DecodedBatch {
  readonly seriesCount: number;
  readonly keys: readonly string[];
  /** The key of series i alone (cheaper than `keys` when only a few are needed). */
  key(i: number): string;
  /**
   * Per series, the 128-bit hash of its key as KEY_HASH_LANES u32s (see key-hash.ts): the
   * database's series-id cache is keyed by it, so a known series needs no key string at all.
   */
  readonly keyHashes: Uint32Array;
  /** Labels of series i, sorted by name, validated, empty values removed. Built on each call. */
  labels(i: number): Labels;
  readonly sampleCount: number;
  /** Per sample: index into `keys`. Only the first `sampleCount` entries are meaningful. */
  readonly seriesIndex: Uint32Array;
  /** Per sample: integer milliseconds. */
  readonly timestamps: Float64Array;
  /** Per sample: value, NaN payloads (staleness markers) preserved bit for bit. */
  readonly values: Float64Array;
  readonly dropped: DroppedStats;
  /** Exemplars received (counted, whether stored or not). */
  readonly exemplars: number;
  /** Native histogram samples accepted (those of dropped series are in `dropped.samples`). */
  readonly histograms: number;
  /** The native histogram samples themselves, when there are any. */
  readonly histogramRows?: HistogramBatchRows;
  /** The exemplars of valid series, decoded (remote write 1.0 and 2.0). */
  readonly exemplarRows?: readonly ExemplarRow[];
  readonly metadata: readonly MetricMetadata[];
  /** Series ids a decode worker found in the series-id cache's shared table (see id-lookup.ts). */
  readonly knownIds?: KnownIds;
}

/**
 * Native histogram samples of a batch: per sample its series (index into `keys`), timestamp
 * (ms) and its flat row (codec/histogram-row.ts). A separate column set from the float samples:
 * a series may have both, at different timestamps.
 */
export interface HistogramBatchRows extends HistogramRows {
  readonly seriesIndex: Uint32Array;
  readonly timestamps: Float64Array;
}

/**
 * The plain, structured-clonable state of a batch (what a decode worker posts back). Keys come
 * either as strings or, across threads, as byte ranges: transferring buffers is cheaper than
 * cloning thousands of strings, which are then built only for the series that need them.
 */
export interface BatchData {
  seriesCount: number;
  keys?: string[];
  /**
   * Key bytes: `keyChunks` are usually the decoded request body itself (a well-formed remote-write
   * series' key is a slice of it) in consecutive pieces, `keyExtra` holds keys that had to be
   * rebuilt. Ranges count from the start of the first piece; a key never spans two pieces; a range
   * starting at or past the pieces' total length lies in keyExtra, shifted by that length. The
   * body travels in pieces of about 64 KiB because a fresh allocation of a megabyte is mmapped
   * and page-faulted in (MALLOC_MMAP_THRESHOLD_), which measured costlier than decoding it.
   */
  keyChunks?: Uint8Array[];
  keyExtra?: Uint8Array;
  /** Per series its key's [start, end) (two u32s). */
  keyRanges?: Uint32Array;
  /** KEY_HASH_LANES per series; computed from the keys when absent. */
  keyHashes?: Uint32Array;
  sampleCount: number;
  seriesIndex: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
  dropped: { series: number; samples: number; reasons: string[] };
  exemplars: number;
  histograms: number;
  histogramRows?: HistogramBatchRows;
  exemplarRows?: ExemplarRow[];
  metadata: MetricMetadata[];
  knownIds?: KnownIds;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export class ColumnBatch implements DecodedBatch {
  readonly seriesCount: number;
  private keyStrings: string[] | undefined;
  private readonly keyChunks: Buffer[] | undefined;
  /** Where each key chunk starts in the ranges' numbering, and (last) where keyExtra starts. */
  private readonly chunkStarts: number[] = [0];
  private readonly keyExtra: Buffer | undefined;
  private readonly keyRanges: Uint32Array | undefined;
  private hashes: Uint32Array | undefined;
  readonly sampleCount: number;
  readonly seriesIndex: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly dropped: { series: number; samples: number; reasons: string[] };
  readonly exemplars: number;
  readonly histograms: number;
  readonly histogramRows: HistogramBatchRows | undefined;
  readonly exemplarRows: ExemplarRow[] | undefined;
  readonly metadata: MetricMetadata[];
  readonly knownIds: KnownIds | undefined;

  constructor(d: BatchData) {
    this.seriesCount = d.seriesCount;
    this.keyStrings = d.keys;
    this.keyChunks = d.keyChunks?.map(asBuffer);
    for (const c of this.keyChunks ?? []) this.chunkStarts.push(this.chunkStarts[this.chunkStarts.length - 1]! + c.length);
    this.keyExtra = d.keyExtra && asBuffer(d.keyExtra);
    this.keyRanges = d.keyRanges;
    this.hashes = d.keyHashes;
    if (this.keyStrings === undefined && (this.keyChunks === undefined || this.keyRanges === undefined)) {
      throw new TypeError('batch data needs keys or keyChunks + keyRanges');
    }
    this.sampleCount = d.sampleCount;
    this.seriesIndex = d.seriesIndex;
    this.timestamps = d.timestamps;
    this.values = d.values;
    this.dropped = d.dropped;
    this.exemplars = d.exemplars;
    this.histograms = d.histograms;
    this.histogramRows = d.histogramRows;
    this.exemplarRows = d.exemplarRows;
    this.metadata = d.metadata;
    this.knownIds = d.knownIds;
  }

  get keys(): string[] {
    if (this.keyStrings !== undefined) return this.keyStrings;
    const out = new Array<string>(this.seriesCount);
    for (let i = 0; i < this.seriesCount; i++) out[i] = this.key(i);
    this.keyStrings = out;
    return out;
  }

  key(i: number): string {
    if (!(i >= 0 && i < this.seriesCount)) throw new RangeError(`series index ${i} out of range (batch has ${this.seriesCount} series)`);
    this.checkKept(i);
    if (this.keyStrings !== undefined) return this.keyStrings[i]!;
    const s = this.keyRanges![2 * i]!;
    const e = this.keyRanges![2 * i + 1]!;
    const j = this.chunkOf(s);
    const b = j < this.keyChunks!.length ? this.keyChunks![j]! : this.keyExtra!;
    const at = this.chunkStarts[j]!;
    return b.toString('latin1', s - at, e - at);
  }

  get keyHashes(): Uint32Array {
    if (this.hashes !== undefined) return this.hashes;
    const out = new Uint32Array(this.seriesCount * KEY_HASH_LANES);
    for (let i = 0; i < this.seriesCount; i++) hashKeyString(this.key(i), out, i * KEY_HASH_LANES);
    this.hashes = out;
    return out;
  }

  /** Throws when series i's key was left in the decode worker (see id-lookup.ts dropKnownKeys). */
  private checkKept(i: number): void {
    const k = this.knownIds;
    if (k !== undefined && k.keysDropped === true && k.ids[i] !== 0) throw new KeyNotKeptError(`the key of series ${i} was not kept by the decode worker`);
  }

  labels(i: number): Labels {
    if (this.keyStrings !== undefined || !(i >= 0 && i < this.seriesCount)) return labelsFromKey(this.key(i));
    this.checkKept(i);
    const s = this.keyRanges![2 * i]!;
    const e = this.keyRanges![2 * i + 1]!;
    const j = this.chunkOf(s);
    const b = j < this.keyChunks!.length ? this.keyChunks![j]! : this.keyExtra!;
    const at = this.chunkStarts[j]!;
    return labelsFromKeyBytes(b, s - at, e - at);
  }

  /** The key chunk holding position s (keyChunks.length: keyExtra). */
  private chunkOf(s: number): number {
    const starts = this.chunkStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The clonable state; the typed arrays are trimmed views, their buffers can be transferred. */
  toData(): BatchData {
    return {
      seriesCount: this.seriesCount,
      keys: this.keyStrings,
      keyChunks: this.keyStrings === undefined ? this.keyChunks : undefined,
      keyExtra: this.keyStrings === undefined ? this.keyExtra : undefined,
      keyRanges: this.keyStrings === undefined ? this.keyRanges : undefined,
      keyHashes: this.hashes,
      sampleCount: this.sampleCount,
      seriesIndex: this.seriesIndex,
      timestamps: this.timestamps,
      values: this.values,
      dropped: this.dropped,
      exemplars: this.exemplars,
      histograms: this.histograms,
      ...(this.histogramRows ? { histogramRows: this.histogramRows } : {}),
      exemplarRows: this.exemplarRows,
      ...(this.knownIds ? { knownIds: this.knownIds } : {}),
      metadata: this.metadata,
    };
  }
}

export type KeyMode = 'strings' | 'bytes';

/**
 * Histogram row bytes live in shared memory: a decode worker's rows reach the main thread, the
 * histogram memtable and the storage worker that flushes them without being copied or detached
 * (the memtable keeps serving them to queries while the flush runs). 8-byte sized, so
 * Float64Array views fit.
 */
function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer((n + 7) & ~7));
}

/** Accumulates series and samples into growable columns; decoders write here. */
export class BatchBuilder {
  readonly keys: string[] = [];
  seriesCount = 0;
  sampleCount = 0;
  /**
   * In 'bytes' mode (decode workers) keys are collected as byte ranges, never as strings: ranges
   * of `keySource` (the body being decoded, see `setKeySource`) as they are, others copied into
   * `keyBuf`.
   */
  private keySource: Uint8Array | undefined;
  private keyBuf: Buffer | undefined;
  private keyLen = 0;
  private keyRanges: Uint32Array | undefined;
  private keyHashes: Uint32Array | undefined;
  seriesIndex: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
  /** Byte view of `values`, so decoders copy float64 bits exactly (NaN payloads included). */
  valueBytes: Uint8Array;
  droppedSeries = 0;
  droppedSamples = 0;
  readonly reasons: string[] = [];
  exemplars = 0;
  histograms = 0;
  readonly exemplarRows: ExemplarRow[] = [];
  readonly metadata: MetricMetadata[] = [];

  constructor(
    readonly limits: IngestLimits,
    capacity = 1024,
    keyMode: KeyMode = 'strings',
    seriesCapacity = 1024,
  ) {
    const c = Math.max(16, capacity);
    if (keyMode === 'bytes') {
      const sc = Math.max(16, seriesCapacity);
      this.keyBuf = Buffer.allocUnsafeSlow(4096);
      this.keyRanges = new Uint32Array(2 * sc);
      this.keyHashes = new Uint32Array(sc * KEY_HASH_LANES);
    }
    this.seriesIndex = new Uint32Array(c);
    this.timestamps = new Float64Array(c);
    this.values = new Float64Array(c);
    this.valueBytes = new Uint8Array(this.values.buffer);
  }

  /** Makes room for `extra` more samples. */
  reserve(extra: number): void {
    const need = this.sampleCount + extra;
    if (need <= this.timestamps.length) return;
    const cap = Math.max(need, this.timestamps.length * 2);
    const si = new Uint32Array(cap);
    si.set(this.seriesIndex.subarray(0, this.sampleCount));
    const ts = new Float64Array(cap);
    ts.set(this.timestamps.subarray(0, this.sampleCount));
    const vs = new Float64Array(cap);
    // Copy bytes, not numbers: a float round trip through JS may canonicalise NaN payloads.
    const vb = new Uint8Array(vs.buffer);
    vb.set(this.valueBytes.subarray(0, this.sampleCount * 8));
    this.seriesIndex = si;
    this.timestamps = ts;
    this.values = vs;
    this.valueBytes = vb;
  }

  /**
   * In 'bytes' mode: keys passed as ranges of this buffer are referenced, not copied; the buffer
   * becomes part of the built batch (so it must not be reused).
   */
  setKeySource(buf: Uint8Array): void {
    if (this.keyBuf !== undefined && this.seriesCount === 0) this.keySource = buf;
  }

  private reserveKey(i: number): void {
    if (2 * i + 2 > this.keyRanges!.length) {
      const next = new Uint32Array(Math.max(this.keyRanges!.length * 2, 2 * i + 2));
      next.set(this.keyRanges!);
      this.keyRanges = next;
      const hashes = new Uint32Array((next.length / 2) * KEY_HASH_LANES);
      hashes.set(this.keyHashes!);
      this.keyHashes = hashes;
    }
  }

  /** Adds a series whose canonical key is the bytes src[s, e); returns its index. */
  pushKey(src: Uint8Array, s: number, e: number): number {
    const i = this.seriesCount++;
    if (this.keyBuf === undefined) {
      this.keys.push(asBuffer(src).toString('latin1', s, e));
      return i;
    }
    this.reserveKey(i);
    hashKeyBytes(src, s, e, this.keyHashes!, i * KEY_HASH_LANES);
    if (src === this.keySource) {
      this.keyRanges![2 * i] = s;
      this.keyRanges![2 * i + 1] = e;
      return i;
    }
    const len = e - s;
    if (this.keyLen + len > this.keyBuf.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(this.keyBuf.length * 2, this.keyLen + len));
      this.keyBuf.copy(next, 0, 0, this.keyLen);
      this.keyBuf = next;
    }
    // Rebuilt keys are ~100-300 bytes: a plain loop beats Buffer.copy's per-call argument handling.
    const kb = this.keyBuf;
    const at = this.keyLen;
    for (let j = 0; j < len; j++) kb[at + j] = src[s + j]!;
    const base = this.keySource?.length ?? 0;
    this.keyRanges![2 * i] = base + at;
    this.keyRanges![2 * i + 1] = base + at + len;
    this.keyLen += len;
    return i;
  }

  /**
   * Adds what a bulk decoder wrote as columns: series keyed by ranges [s, e) of `src` with their
   * KEY_HASH_LANES hashes (the key source in 'bytes' mode), and samples whose series indexes
   * already count from this builder's seriesCount.
   */
  appendColumns(
    src: Uint8Array,
    keyRanges: Uint32Array,
    keyHashes: Uint32Array,
    seriesIndex: Uint32Array,
    timestamps: Float64Array,
    valueBytes: Uint8Array,
  ): void {
    const n = seriesIndex.length;
    this.reserve(n);
    const at = this.sampleCount;
    this.seriesIndex.set(seriesIndex, at);
    this.timestamps.set(timestamps, at);
    this.valueBytes.set(valueBytes, at * 8);
    this.sampleCount = at + n;
    const k = keyRanges.length >>> 1;
    const first = this.seriesCount;
    if (this.keyBuf === undefined) {
      const b = asBuffer(src);
      for (let i = 0; i < k; i++) this.keys.push(b.toString('latin1', keyRanges[2 * i]!, keyRanges[2 * i + 1]!));
    } else {
      if (src !== this.keySource) throw new Error('appendColumns: key ranges must refer to the key source');
      if (k > 0) this.reserveKey(first + k - 1);
      this.keyRanges!.set(keyRanges, 2 * first);
      this.keyHashes!.set(keyHashes, first * KEY_HASH_LANES);
    }
    this.seriesCount = first + k;
  }

  addSample(series: number, ts: number, v: number): void {
    if (this.sampleCount === this.timestamps.length) this.reserve(1);
    const n = this.sampleCount++;
    this.seriesIndex[n] = series;
    this.timestamps[n] = ts;
    this.values[n] = v;
  }

  private hSeries = new Uint32Array(0);
  private hTimestamps = new Float64Array(0);
  private hOffsets = new Uint32Array(1);
  private hBytes: Uint8Array = new Uint8Array(0);
  /** Views of the row bytes, for decoders writing rows in place (rows are 8-byte sized and aligned). */
  histogramView = new DataView(this.hBytes.buffer);
  histogramInt32 = new Int32Array(this.hBytes.buffer);
  histogramFloat64 = new Float64Array(this.hBytes.buffer);

  private setRowBytes(b: Uint8Array): void {
    this.hBytes = b;
    this.histogramView = new DataView(b.buffer);
    this.histogramInt32 = new Int32Array(b.buffer);
    this.histogramFloat64 = new Float64Array(b.buffer);
  }

  /** Room for about `n` histograms of `bytes` flat bytes in all (a hint: the columns still grow). */
  reserveHistograms(n: number, bytes: number): void {
    if (this.hOffsets.length > 1 || n <= 0) return;
    this.hSeries = new Uint32Array(n);
    this.hTimestamps = new Float64Array(n);
    this.hOffsets = new Uint32Array(n + 1);
    this.setRowBytes(sharedBytes(bytes));
  }

  /**
   * Makes room for the next histogram's flat row of `size` bytes (a multiple of 8) and returns
   * where it starts in the row views; `commitHistogram` then adds it.
   */
  histogramRowSpace(size: number): number {
    const n = this.histograms;
    if (n + 1 >= this.hOffsets.length) {
      const cap = Math.max(16, 2 * this.hOffsets.length);
      const si = new Uint32Array(cap);
      si.set(this.hSeries);
      const t = new Float64Array(cap);
      t.set(this.hTimestamps);
      const o = new Uint32Array(cap + 1);
      o.set(this.hOffsets);
      this.hSeries = si;
      this.hTimestamps = t;
      this.hOffsets = o;
    }
    const at = this.hOffsets[n]!;
    if (at + size > this.hBytes.length) {
      const b = sharedBytes(Math.max(4096, 2 * this.hBytes.length, at + size));
      b.set(this.hBytes.subarray(0, at));
      this.setRowBytes(b);
    }
    return at;
  }

  /** Adds the row written at histogramRowSpace's offset, ending at `end`, as a sample of `series`. */
  commitHistogram(series: number, ts: number, end: number): void {
    const n = this.histograms;
    this.hSeries[n] = series;
    this.hTimestamps[n] = ts;
    this.hOffsets[n + 1] = end;
    this.histograms = n + 1;
  }

  /** Adds one native histogram sample of `series`. */
  addHistogram(series: number, ts: number, h: FloatHistogram): void {
    const size = histogramRowSize(h.positiveSpans.length, h.negativeSpans.length, h.positiveBuckets.length, h.negativeBuckets.length, h.customValues.length);
    const at = this.histogramRowSpace(size);
    writeHistogramRow(h, this.hBytes, at, this.histogramView);
    this.commitHistogram(series, ts, at + size);
  }

  /** Takes back the histogram samples from index `n` on (their series was dropped). */
  truncateHistograms(n: number): void {
    if (n < this.histograms) this.histograms = n;
  }

  drop(samples: number, reason: string): void {
    this.droppedSeries++;
    this.droppedSamples += samples;
    if (this.reasons.length < this.limits.maxReasons) this.reasons.push(reason);
  }

  /**
   * Validates a label set from a text format and returns its series index, or -1 after counting
   * the drop (`samples` is how many samples go with it).
   */
  addLabels(labels: Label[], samples: number): number {
    const why = checkLabels(labels, this.limits);
    if (why !== null) {
      this.drop(samples, why);
      return -1;
    }
    // No de-duplication here: a series repeated on many lines gets several entries, which the
    // caller's key → id cache resolves as cheaply as a Map here would.
    this.keys.push(canonicalKey(labels));
    return this.seriesCount++;
  }

  /**
   * The batch. In 'bytes' mode the key source goes along as `keyChunks` when given (they must
   * partition it in order, with no key spanning two), else as one copy.
   */
  build(keyChunks?: Uint8Array[]): ColumnBatch {
    const n = this.sampleCount;
    // Give back a mostly empty tail: the batch may live on (queued, or in another thread).
    if (this.timestamps.length > 2 * n + 4096) {
      this.seriesIndex = this.seriesIndex.slice(0, n);
      this.timestamps = this.timestamps.slice(0, n);
      const vs = new Float64Array(n);
      new Uint8Array(vs.buffer).set(this.valueBytes.subarray(0, n * 8));
      this.values = vs;
      this.valueBytes = new Uint8Array(vs.buffer);
    }
    const bytes = this.keyBuf !== undefined;
    // The body is sent whole to the main thread; a view into a shared pool is copied instead.
    const src = this.keySource ?? new Uint8Array(0);
    const chunks = keyChunks ?? [src.byteOffset === 0 && src.byteLength === src.buffer.byteLength ? src : new Uint8Array(src)];
    return new ColumnBatch({
      seriesCount: this.seriesCount,
      keys: bytes ? undefined : this.keys,
      keyChunks: bytes ? chunks : undefined,
      keyExtra: bytes ? this.keyBuf!.subarray(0, this.keyLen) : undefined,
      keyRanges: bytes ? this.keyRanges!.subarray(0, 2 * this.seriesCount) : undefined,
      keyHashes: bytes ? this.keyHashes!.subarray(0, this.seriesCount * KEY_HASH_LANES) : undefined,
      sampleCount: n,
      seriesIndex: this.seriesIndex.subarray(0, n),
      timestamps: this.timestamps.subarray(0, n),
      values: this.values.subarray(0, n),
      dropped: { series: this.droppedSeries, samples: this.droppedSamples, reasons: this.reasons },
      exemplars: this.exemplars,
      histograms: this.histograms,
      ...(this.histograms > 0 ? { histogramRows: this.histogramRowsBuilt() } : {}),
      exemplarRows: this.exemplarRows.length > 0 ? this.exemplarRows : undefined,
      metadata: this.metadata,
    });
  }

  private histogramRowsBuilt(): HistogramBatchRows {
    const n = this.histograms;
    // Views, not copies: each column has a buffer of its own, which a decode worker transfers whole.
    return {
      count: n,
      seriesIndex: this.hSeries.subarray(0, n),
      timestamps: this.hTimestamps.subarray(0, n),
      offsets: this.hOffsets.subarray(0, n + 1),
      bytes: this.hBytes.subarray(0, this.hOffsets[n]!),
    };
  }
}

import { BatchBuilder, type ColumnBatch, type KeyMode } from './batch.js';
import { exemplarRows, readExemplarV1, type PendingExemplar } from './exemplars.js';
import { varintSize } from '../varint.js';
import { KeyWriter } from './label-key.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { metricTypeFromEnum } from './metadata.js';
import { readHistogramInto } from './histogram-proto.js';
import { ProtoReader } from './proto-reader.js';
import { RawLabelSet } from './raw-labels.js';
import { snappyUncompressToArena, type ArenaBytes } from './snappy.js';
import { ingestWasm, releaseLargeArena, WALK_FULL, WALK_SAMPLES, WALK_SERIES } from './wasm.js';
import { KEY_HASH_LANES } from './key-hash.js';
import { MAX_LABEL_BYTES } from '../model/index.js';

/**
 * Remote write 1.0: `prometheus.WriteRequest` (prompb/remote.proto), snappy block compressed.
 * One pass over the body, no message objects. A series whose labels arrive sorted and encoded as
 * Prometheus encodes them gets the raw bytes of its label fields as its key (one latin1 slice);
 * anything else is rebuilt into the same canonical form.
 */

const utf8 = new TextDecoder('utf-8');

/** `keyMode: 'bytes'` keeps keys as bytes until first use (decode workers send them that way). */
export function decodeRemoteWriteV1(body: Uint8Array, limits?: Partial<IngestLimits>, keyMode: KeyMode = 'strings'): ColumnBatch {
  const l = resolveLimits(limits);
  try {
    return decodeInArena(snappyUncompressToArena(body, l.maxDecompressedBytes), l, keyMode);
  } finally {
    releaseLargeArena();
  }
}

/** Decodes an uncompressed WriteRequest. */
export function decodeWriteRequestV1(raw: Uint8Array, limits?: Partial<IngestLimits>, keyMode: KeyMode = 'strings'): ColumnBatch {
  const l = resolveLimits(limits);
  const wasm = ingestWasm();
  const { output } = wasm.reserve(0, raw.length);
  wasm.u8.set(raw, output);
  try {
    return decodeInArena({ wasm, at: output, length: raw.length }, l, keyMode);
  } finally {
    releaseLargeArena();
  }
}

/**
 * The WebAssembly walker (native/ingest/remote-write.ts) takes the common TimeSeries in bulk; each
 * top-level field it leaves is decoded here, by the same rules, and the walk resumes after it.
 * Both read the body in the arena; in 'bytes' mode it is copied out at the end, in pieces, since
 * keys leave the thread as ranges of it.
 */
function decodeInArena(a: ArenaBytes, l: IngestLimits, keyMode: KeyMode): ColumnBatch {
  const { wasm, at, length } = a;
  // A view of linear memory: valid while nothing grows it, which nothing does until the end.
  const buf = Buffer.from(wasm.u8.buffer, at, length);
  const r = new ProtoReader(buf, 'remote write request');
  const labels = new RawLabelSet();
  const kw = new KeyWriter();
  const x = wasm.x;
  let out: BatchBuilder | null = null;
  const legacy = l.nameValidation === 'legacy' ? 1 : 0;
  let pos = 0;
  while (pos < length) {
    pos = x.walkRemoteWriteV1(
      at,
      length,
      pos,
      wasm.sampleSeries,
      wasm.sampleTs,
      wasm.sampleValues,
      WALK_SAMPLES,
      wasm.keyRanges,
      wasm.keyHashes,
      WALK_SERIES,
      out?.seriesCount ?? 0,
      l.maxLabelsPerTimeseries,
      l.maxLabelNameLen,
      l.maxLabelValueLen,
      MAX_LABEL_BYTES / 2,
      legacy,
    );
    const samples = x.walkSamples.value;
    const series = x.walkSeries.value;
    if (out === null) {
      // Sized by the first walk: exactly, when it took the whole body (the usual case, and then
      // build() has no tail to trim); else a sample is ~12 bytes on the wire, a series with one
      // sample ~100, and the columns grow by doubling.
      const whole = pos >= length;
      out = new BatchBuilder(l, whole ? samples : Math.max(2 * samples, Math.min(1 << 20, (length / 48) | 0)), keyMode, whole ? series : 2 * series);
      out.setKeySource(buf);
    }
    if (samples > 0 || series > 0) {
      const m = wasm.u8.buffer;
      out.appendColumns(
        buf,
        new Uint32Array(m, wasm.keyRanges, 2 * series),
        new Uint32Array(m, wasm.keyHashes, KEY_HASH_LANES * series),
        new Uint32Array(m, wasm.sampleSeries, samples),
        new Float64Array(m, wasm.sampleTs, samples),
        new Uint8Array(m, wasm.sampleValues, 8 * samples),
      );
    }
    if (pos >= length || x.walkStatus.value === WALK_FULL) continue;
    r.pos = pos;
    readTopLevelField(r, buf, out, labels, kw);
    pos = r.pos;
  }
  if (out === null) return new BatchBuilder(l, 0, keyMode).build();
  return keyMode === 'bytes' ? out.build(copyOut(a)) : out.build();
}

/** Pieces of about this size stay under glibc's mmap threshold as Strata runs (128 KiB). */
const KEY_CHUNK = 64 * 1024;

/** The body out of the arena, in KEY_CHUNK pieces cut at top-level field boundaries (a key never spans two). */
function copyOut(a: ArenaBytes): Uint8Array[] {
  const { wasm, at, length } = a;
  // The walker's key-range column is free by now: it takes the cut offsets.
  const n = wasm.x.splitTopLevelFields(at, length, KEY_CHUNK, wasm.keyRanges, 2 * WALK_SERIES);
  const cuts = n < 0 ? [] : Array.from(new Uint32Array(wasm.u8.buffer, wasm.keyRanges, n));
  cuts.push(length);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of cuts) {
    const piece = Buffer.allocUnsafeSlow(to - from);
    piece.set(wasm.u8.subarray(at + from, at + to));
    out.push(piece);
    from = to;
  }
  return out;
}

/** One field of the WriteRequest at r.pos. */
function readTopLevelField(r: ProtoReader, buf: Buffer, out: BatchBuilder, labels: RawLabelSet, kw: KeyWriter): void {
  const tag = r.uint32();
  if (tag === 0x0a) {
    const end = r.lengthEnd();
    r.limit = end;
    readTimeSeries(r, buf, out, labels, kw);
    r.limit = buf.length;
  } else if (tag === 0x1a) {
    const end = r.lengthEnd();
    r.limit = end;
    readMetadata(r, buf, out);
    r.limit = buf.length;
  } else {
    r.skip(tag & 7);
  }
}

function readTimeSeries(r: ProtoReader, buf: Buffer, out: BatchBuilder, labels: RawLabelSet, kw: KeyWriter): void {
  const end = r.limit;
  const series = out.seriesCount;
  const firstSample = out.sampleCount;
  const firstHistogram = out.histograms;
  let histogramProblem: string | null = null;
  const exemplars: PendingExemplar[] = [];
  labels.reset();
  // Canonical: label fields contiguous, each exactly {0x0a name, 0x12 value} with both non-empty.
  let canonical = true;
  let labelsStart = -1;
  let labelsEnd = -1;
  let labelFields = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 0x12) {
      const sEnd = r.lengthEnd();
      let ts = 0;
      if (out.sampleCount === out.timestamps.length) out.reserve(1);
      const n = out.sampleCount;
      const vb = out.valueBytes;
      const vo = n * 8;
      // proto3 defaults: an absent value is 0.
      vb[vo] = vb[vo + 1] = vb[vo + 2] = vb[vo + 3] = vb[vo + 4] = vb[vo + 5] = vb[vo + 6] = vb[vo + 7] = 0;
      r.limit = sEnd;
      // Fast path for the usual {0x09 double, 0x10 varint}; the loop handles anything else.
      const p = r.pos;
      if (p + 10 <= sEnd && buf[p] === 0x09 && buf[p + 9] === 0x10) {
        r.pos = p + 1;
        r.copyFixed64(vb, vo);
        r.pos++;
        ts = r.int64();
      }
      while (r.pos < sEnd) {
        const t = r.uint32();
        if (t === 0x09) r.copyFixed64(vb, vo);
        else if (t === 0x10) ts = r.int64();
        else r.skip(t & 7);
      }
      r.limit = end;
      out.seriesIndex[n] = series;
      out.timestamps[n] = ts;
      out.sampleCount = n + 1;
    } else if (tag === 0x0a) {
      const lEnd = r.lengthEnd();
      if (labelFields === 0) labelsStart = tagAt;
      else if (tagAt !== labelsEnd) canonical = false;
      labelFields++;
      labelsEnd = lEnd;
      // The key is these very bytes only if every length is a minimal varint (as canonicalKey writes).
      if (r.pos - tagAt - 1 !== varintSize(lEnd - r.pos)) canonical = false;
      // Fast path: {0x0a len name 0x12 len value} with one-byte lengths, as senders write short labels.
      const p = r.pos;
      if (p + 4 <= lEnd && buf[p] === 0x0a) {
        const nl = buf[p + 1]!;
        const ne = p + 2 + nl;
        if (nl !== 0 && nl < 0x80 && ne + 2 < lEnd && buf[ne] === 0x12) {
          const vl = buf[ne + 1]!;
          if (vl !== 0 && vl < 0x80 && ne + 2 + vl === lEnd) {
            labels.add(buf, p + 2, ne, ne + 2, lEnd);
            r.pos = lEnd;
            continue;
          }
        }
      }
      r.limit = lEnd;
      let ns = 0;
      let ne = 0;
      let vs = 0;
      let ve = 0;
      let fields = 0;
      while (r.pos < lEnd) {
        const t = r.uint32();
        const at = r.pos;
        if (t === 0x0a) {
          const e = r.lengthEnd();
          ns = r.pos;
          ne = e;
          r.pos = e;
          if (fields !== 0 || ns - at !== varintSize(ne - ns)) canonical = false;
        } else if (t === 0x12) {
          const e = r.lengthEnd();
          vs = r.pos;
          ve = e;
          r.pos = e;
          if (fields !== 1 || vs - at !== varintSize(ve - vs)) canonical = false;
        } else {
          r.skip(t & 7);
          canonical = false;
        }
        fields++;
      }
      r.limit = end;
      if (fields !== 2 || ne === ns || ve === vs) canonical = false;
      labels.add(buf, ns, ne, vs, ve);
    } else if (tag === 0x1a) {
      out.exemplars++;
      const eEnd = r.lengthEnd();
      r.limit = eEnd;
      exemplars.push(readExemplarV1(r, buf));
      r.limit = end;
    } else if (tag === 0x22) {
      const problem = readHistogramInto(r, end, buf.length, out, series);
      if (problem !== null) histogramProblem ??= problem;
    } else {
      r.skip(tag & 7);
    }
  }
  const samples = out.sampleCount - firstSample + out.histograms - firstHistogram;
  // Validation runs on every request: a set of known-valid key hashes was measured slower (with
  // 100k+ series each lookup misses the CPU cache, which costs more than re-scanning the bytes).
  let why = labels.check(buf, out.limits);
  if (why === null && histogramProblem !== null) why = `series ${labels.describe(buf)} has an invalid native histogram: ${histogramProblem}`;
  if (why !== null) {
    out.sampleCount = firstSample;
    out.truncateHistograms(firstHistogram);
    out.drop(samples, why);
    return;
  }
  if (samples === 0 && exemplars.length === 0) return;
  let key: string;
  if (canonical && labels.sorted) {
    if (samples > 0) out.pushKey(buf, labelsStart, labelsEnd);
    if (exemplars.length === 0) return;
    key = buf.toString('latin1', labelsStart, labelsEnd);
  } else {
    labels.writeKey(buf, kw);
    if (samples > 0) out.pushKey(kw.buffer, 0, kw.length);
    if (exemplars.length === 0) return;
    key = kw.buffer.toString('latin1', 0, kw.length);
  }
  exemplarRows(key, exemplars, out.exemplarRows);
}

function readMetadata(r: ProtoReader, buf: Buffer, out: BatchBuilder): void {
  const end = r.limit;
  let type = 0;
  let name = '';
  let help = '';
  let unit = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) type = r.uint32();
    else if (tag === 0x12 || tag === 0x22 || tag === 0x2a) {
      const e = r.lengthEnd();
      const s = utf8.decode(buf.subarray(r.pos, e));
      r.pos = e;
      if (tag === 0x12) name = s;
      else if (tag === 0x22) help = s;
      else unit = s;
    } else r.skip(tag & 7);
  }
  if (name !== '') out.metadata.push({ metricFamilyName: name, type: metricTypeFromEnum(type), help, unit });
}

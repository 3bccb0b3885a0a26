import { BatchBuilder, type ColumnBatch, type KeyMode } from './batch.js';
import { exemplarRows, readExemplarV2, type PendingExemplar } from './exemplars.js';
import { KeyWriter } from './label-key.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { metricTypeFromEnum } from './metadata.js';
import { readHistogramInto } from './histogram-proto.js';
import { ProtoReader } from './proto-reader.js';
import { RawLabelSet, isMetricNameLabel } from './raw-labels.js';
import { snappyUncompress } from './snappy.js';

/**
 * Remote write 2.0: `io.prometheus.write.v2.Request`, snappy block compressed. Label names and
 * values are references into the request's symbols table; the table is indexed as byte ranges of
 * the body, so a symbol becomes a string only inside a series key or an error message.
 */

const utf8 = new TextDecoder('utf-8');

/** `keyMode: 'bytes'` keeps keys as bytes until first use (decode workers send them that way). */
export function decodeRemoteWriteV2(body: Uint8Array, limits?: Partial<IngestLimits>, keyMode: KeyMode = 'strings'): ColumnBatch {
  const l = resolveLimits(limits);
  return decodeWriteRequestV2(snappyUncompress(body, l.maxDecompressedBytes), l, keyMode);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

class Symbols {
  n = 0;
  s = new Int32Array(256);
  e = new Int32Array(256);
  push(start: number, end: number): void {
    if (this.n === this.s.length) {
      const s = new Int32Array(this.n * 2);
      s.set(this.s);
      const e = new Int32Array(this.n * 2);
      e.set(this.e);
      this.s = s;
      this.e = e;
    }
    this.s[this.n] = start;
    this.e[this.n++] = end;
  }
}

/** Pairs up one series' labels_refs into `labels`, remembering what went wrong (state reused across series). */
class LabelRefs {
  count = 0;
  badRef = -1;
  nameRef = -1;
  private pendingName = -1;
  private buf: Buffer = Buffer.alloc(0);
  private syms: Symbols = new Symbols();
  private labels: RawLabelSet = new RawLabelSet();

  reset(buf: Buffer, syms: Symbols, labels: RawLabelSet): this {
    this.count = 0;
    this.badRef = -1;
    this.nameRef = -1;
    this.pendingName = -1;
    this.buf = buf;
    this.syms = syms;
    this.labels = labels;
    return this;
  }

  add(ref: number): void {
    const syms = this.syms;
    this.count++;
    if (ref >= syms.n) {
      if (this.badRef < 0) this.badRef = ref;
      this.pendingName = -2;
      return;
    }
    if ((this.count & 1) === 1) {
      this.pendingName = ref;
      return;
    }
    const name = this.pendingName;
    if (name < 0) return;
    const ns = syms.s[name]!;
    const ne = syms.e[name]!;
    this.labels.add(this.buf, ns, ne, syms.s[ref]!, syms.e[ref]!);
    if (ne - ns === 8 && isMetricNameLabel(this.buf, ns, ne)) this.nameRef = ref;
  }
}

/** Decodes an uncompressed v2 Request. */
export function decodeWriteRequestV2(raw: Uint8Array, limits?: Partial<IngestLimits>, keyMode: KeyMode = 'strings'): ColumnBatch {
  const l = resolveLimits(limits);
  const buf = asBuffer(raw);
  const out = new BatchBuilder(l, Math.min(1 << 20, (buf.length / 48) | 0), keyMode);
  const r = new ProtoReader(buf, 'remote write 2.0 request');
  const syms = new Symbols();
  // The protobuf encoding does not promise symbols before series: index both, then walk series.
  const series: number[] = [];
  while (r.pos < buf.length) {
    const tag = r.uint32();
    if (tag === 0x22) {
      const end = r.lengthEnd();
      syms.push(r.pos, end);
      r.pos = end;
    } else if (tag === 0x2a) {
      const end = r.lengthEnd();
      series.push(r.pos, end);
      r.pos = end;
    } else {
      r.skip(tag & 7);
    }
  }
  const labels = new RawLabelSet();
  const kw = new KeyWriter();
  const metaSeen = new Set<number>();
  const labelRefs = new LabelRefs();
  for (let i = 0; i < series.length; i += 2) {
    r.pos = series[i]!;
    r.limit = series[i + 1]!;
    readTimeSeries(r, buf, out, syms, labels, kw, metaSeen, labelRefs);
  }
  return out.build();
}

function readTimeSeries(
  r: ProtoReader,
  buf: Buffer,
  out: BatchBuilder,
  syms: Symbols,
  labels: RawLabelSet,
  kw: KeyWriter,
  metaSeen: Set<number>,
  labelRefs: LabelRefs,
): void {
  const end = r.limit;
  const series = out.seriesCount;
  const firstSample = out.sampleCount;
  const firstHistogram = out.histograms;
  let histogramProblem: string | null = null;
  labels.reset();
  const refs = labelRefs.reset(buf, syms, labels);
  const exemplars: PendingExemplar[] = [];
  let metaType = 0;
  let helpRef = 0;
  let unitRef = 0;
  let hasMeta = false;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x12) {
      const sEnd = r.lengthEnd();
      let ts = 0;
      if (out.sampleCount === out.timestamps.length) out.reserve(1);
      const n = out.sampleCount;
      const vb = out.valueBytes;
      const vo = n * 8;
      vb[vo] = vb[vo + 1] = vb[vo + 2] = vb[vo + 3] = vb[vo + 4] = vb[vo + 5] = vb[vo + 6] = vb[vo + 7] = 0;
      r.limit = sEnd;
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
      // Packed labels_refs (the normal encoding).
      const pEnd = r.lengthEnd();
      r.limit = pEnd;
      while (r.pos < pEnd) refs.add(r.uint32());
      r.limit = end;
    } else if (tag === 0x08) {
      refs.add(r.uint32());
    } else if (tag === 0x1a) {
      const problem = readHistogramInto(r, end, buf.length, out, series);
      if (problem !== null) histogramProblem ??= problem;
    } else if (tag === 0x22) {
      out.exemplars++;
      const eEnd = r.lengthEnd();
      r.limit = eEnd;
      const ex = readExemplarV2(r, (ref) => (ref < syms.n ? utf8.decode(buf.subarray(syms.s[ref]!, syms.e[ref]!)) : null));
      r.limit = end;
      // A broken exemplar costs only itself: Prometheus stores the samples and skips it too.
      if (typeof ex !== 'string') exemplars.push(ex);
    } else if (tag === 0x2a) {
      const mEnd = r.lengthEnd();
      r.limit = mEnd;
      while (r.pos < mEnd) {
        const t = r.uint32();
        if (t === 0x08) metaType = r.uint32();
        else if (t === 0x18) helpRef = r.uint32();
        else if (t === 0x20) unitRef = r.uint32();
        else r.skip(t & 7);
      }
      r.limit = end;
      hasMeta = true;
    } else {
      r.skip(tag & 7);
    }
  }
  const samples = out.sampleCount - firstSample + out.histograms - firstHistogram;
  let why: string | null;
  if (refs.badRef >= 0) why = `series ${labels.describe(buf)} references symbol ${refs.badRef}, but the symbols table has ${syms.n} entries`;
  else if ((refs.count & 1) === 1) why = `series ${labels.describe(buf)} has an odd number (${refs.count}) of labels_refs: they must come in name/value pairs`;
  else why = labels.check(buf, out.limits);
  if (why === null && histogramProblem !== null) why = `series ${labels.describe(buf)} has an invalid native histogram: ${histogramProblem}`;
  if (why !== null) {
    out.sampleCount = firstSample;
    out.truncateHistograms(firstHistogram);
    out.drop(samples, why);
    return;
  }
  const nameRef = refs.nameRef;
  if (hasMeta && nameRef >= 0 && !metaSeen.has(nameRef) && (metaType !== 0 || helpRef !== 0 || unitRef !== 0)) {
    metaSeen.add(nameRef);
    const sym = (ref: number): string => (ref < syms.n ? utf8.decode(buf.subarray(syms.s[ref]!, syms.e[ref]!)) : '');
    out.metadata.push({ metricFamilyName: sym(nameRef), type: metricTypeFromEnum(metaType), help: sym(helpRef), unit: sym(unitRef) });
  }
  if (samples === 0 && exemplars.length === 0) return;
  labels.writeKey(buf, kw);
  if (samples > 0) out.pushKey(kw.buffer, 0, kw.length);
  if (exemplars.length > 0) exemplarRows(kw.buffer.toString('latin1', 0, kw.length), exemplars, out.exemplarRows);
}

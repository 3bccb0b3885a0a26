import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalKey,
  checkLabels,
  decodeRemoteWriteV1,
  decodeWriteRequestV1,
  DEFAULT_LIMITS,
  encodeRemoteWriteV1,
  hashKeyString,
  KEY_HASH_LANES,
  snappyUncompress,
  type IngestLimits,
} from '../../src/ingest/index.js';
import type { DecodedBatch } from '../../src/ingest/index.js';
import type { Label } from '../../src/model/index.js';

/**
 * Remote write 1.0 bodies are walked in bulk (WebAssembly) for the common series shape and field
 * by field (JavaScript) for everything else; the two interleave within one request. Whichever
 * path a series takes, the outcome is what the label rules say: these tests state that outcome
 * from the input alone (checkLabels, canonicalKey) and compare.
 */

/** A series as the tests write it (string labels, plain arrays). */
interface Series {
  readonly labels: Label[];
  readonly timestamps: number[];
  readonly values: number[];
  readonly exemplars?: number;
}

const L = (o: Record<string, string>): Label[] => Object.entries(o).map(([name, value]) => ({ name, value }));

interface Row {
  key: string;
  t: number;
  v: string;
}

function rows(b: DecodedBatch): Row[] {
  const out: Row[] = [];
  const bits = new Uint8Array(b.values.buffer, b.values.byteOffset, b.values.byteLength);
  for (let i = 0; i < b.sampleCount; i++) {
    out.push({ key: b.key(b.seriesIndex[i]!), t: b.timestamps[i]!, v: Buffer.from(bits.subarray(8 * i, 8 * i + 8)).toString('hex') });
  }
  return out;
}

/** What the label rules make of the request: rows of the valid series in order, and the drop count. */
function expected(series: readonly Series[], limits: IngestLimits): { rows: Row[]; dropped: number } {
  const out: Row[] = [];
  let dropped = 0;
  for (const s of series) {
    const labels = s.labels.map((l) => ({ ...l }));
    if (checkLabels(labels, limits) !== null) {
      dropped++;
      continue;
    }
    const key = canonicalKey(labels);
    const ts = s.timestamps ?? [];
    const vs = new Float64Array(Array.from(s.values ?? []));
    const bits = new Uint8Array(vs.buffer);
    for (let i = 0; i < ts.length; i++) out.push({ key, t: ts[i]!, v: Buffer.from(bits.subarray(8 * i, 8 * i + 8)).toString('hex') });
  }
  return { rows: out, dropped };
}

function expectHashesOfKeys(b: DecodedBatch): void {
  const lanes = new Uint32Array(KEY_HASH_LANES);
  for (let i = 0; i < b.seriesCount; i++) {
    hashKeyString(b.key(i), lanes, 0);
    expect(Array.from(b.keyHashes.subarray(i * KEY_HASH_LANES, (i + 1) * KEY_HASH_LANES))).toEqual(Array.from(lanes));
  }
}

// ASCII names and values (JS order = byte order), some invalid, some over the one-byte length the bulk walker takes.
const name = fc.constantFrom('__name__', 'a', 'job', 'instance', 'b_c', 'Zz', '_x', 'le', '1bad', 'a-b', 'a:b', 'n'.repeat(130));
const value = fc.constantFrom('v', '', 'node_cpu_seconds_total', '1bad:name', 'a:b', 'x'.repeat(127), 'y'.repeat(200), '10.0.0.1:9100', 'ü');
const seriesArb: fc.Arbitrary<Series> = fc
  .record({
    labels: fc.array(fc.record({ name, value }), { maxLength: 7 }),
    sorted: fc.boolean(),
    samples: fc.array(
      fc.record({
        t: fc.constantFrom(0, 1, -1, 127, 128, 1_700_000_000_123, 2 ** 53 - 1, -(2 ** 40)),
        v: fc.constantFrom(0, 1.5, -2, Number.NaN, Number.NEGATIVE_INFINITY, 1e300),
      }),
      { maxLength: 4 },
    ),
    exemplars: fc.constantFrom(0, 0, 0, 1),
  })
  .map(({ labels, sorted, samples, exemplars }) => ({
    labels: sorted ? [...labels].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)) : labels,
    timestamps: samples.map((s) => s.t),
    values: samples.map((s) => s.v),
    exemplars,
  }));

describe('remote write 1.0: bulk and field-by-field decoding', () => {
  it('give every request the outcome the label rules say, in input order', () => {
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 12 }), fc.boolean(), fc.constantFrom<'strings' | 'bytes'>('strings', 'bytes'), (series, legacy, mode) => {
        const limits: IngestLimits = { ...DEFAULT_LIMITS, nameValidation: legacy ? 'legacy' : 'utf8', maxLabelsPerTimeseries: 5, maxLabelValueLen: 150 };
        const b = decodeRemoteWriteV1(encodeRemoteWriteV1(series), limits, mode);
        const want = expected(series, limits);
        expect(rows(b)).toEqual(want.rows);
        expect(b.dropped.series).toBe(want.dropped);
        expectHashesOfKeys(b);
      }),
      { numRuns: 1500 },
    );
  });

  it('keep series order when odd series sit between common ones', () => {
    const series: Series[] = [
      { labels: L({ __name__: 'm', i: '0' }), timestamps: [1], values: [1] },
      { labels: L({ __name__: 'm', i: '1' }), timestamps: [2], values: [2], exemplars: 1 },
      { labels: L({ i: '2', __name__: 'm' }), timestamps: [3], values: [3] },
      { labels: L({ __name__: 'm', i: '3', ü: 'x' }), timestamps: [4], values: [4] },
      { labels: L({ __name__: 'm', i: '4' }), timestamps: [5], values: [5] },
    ];
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1(series), {}, 'bytes');
    expect(rows(b).map((r) => r.t)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(b.seriesIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(b.labels(2)).toEqual(L({ __name__: 'm', i: '2' }));
    expect(b.exemplars).toBe(1);
    expectHashesOfKeys(b);
  });

  it('decode requests with more series than one bulk walk holds', () => {
    const series: Series[] = [];
    for (let i = 0; i < 40_000; i++) series.push({ labels: L({ __name__: 'm', i: String(i) }), timestamps: [i], values: [i / 2] });
    const b = decodeRemoteWriteV1(encodeRemoteWriteV1(series), { maxDecompressedBytes: 1 << 26 }, 'bytes');
    expect(b.seriesCount).toBe(40_000);
    expect(b.sampleCount).toBe(40_000);
    expect(b.key(39_999)).toBe(canonicalKey(L({ __name__: 'm', i: '39999' })));
    expect(b.timestamps[39_999]).toBe(39_999);
    expect(Array.from(b.seriesIndex.subarray(39_990))).toEqual([39_990, 39_991, 39_992, 39_993, 39_994, 39_995, 39_996, 39_997, 39_998, 39_999]);
    expectHashesOfKeys(b);
  });

  it('hand over keys of bodies larger than one key piece, rebuilt keys included, as the string mode gives them', () => {
    const series: Series[] = [];
    for (let i = 0; i < 3000; i++) {
      const labels = i % 7 === 3 ? L({ z: 'last', __name__: 'm', i: String(i) }) : L({ __name__: 'm', i: String(i), pad: 'p'.repeat(40) });
      series.push({ labels, timestamps: [i], values: [i] });
    }
    const body = encodeRemoteWriteV1(series);
    const bytes = decodeRemoteWriteV1(body, {}, 'bytes');
    const strings = decodeRemoteWriteV1(body, {}, 'strings');
    expect(bytes.keys).toEqual(strings.keys);
    for (const i of [0, 3, 1000, 2999]) expect(bytes.labels(i)).toEqual(strings.labels(i));
  });

  it('decode a series with more samples than one bulk walk holds', () => {
    const n = 50_000;
    const ts = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 1000);
    const b = decodeRemoteWriteV1(
      encodeRemoteWriteV1([
        { labels: L({ __name__: 'a' }), timestamps: [1], values: [1] },
        { labels: L({ __name__: 'big' }), timestamps: ts, values: ts.map((t) => t / 1000) },
      ]),
      { maxDecompressedBytes: 1 << 26 },
      'bytes',
    );
    expect(b.seriesCount).toBe(2);
    expect(b.sampleCount).toBe(n + 1);
    expect(b.timestamps[n]).toBe(ts[n - 1]);
    expect(b.values[n]).toBe(ts[n - 1]! / 1000);
    expect(b.seriesIndex[n]).toBe(1);
  });

  it('decode the same way from a body already uncompressed', () => {
    const series: Series[] = [
      { labels: L({ __name__: 'm', job: 'j' }), timestamps: [1, 2], values: [1, 2] },
      { labels: L({ __name__: 'n' }), timestamps: [3], values: [3] },
    ];
    const raw = decodeWriteRequestV1(snappyUncompress(encodeRemoteWriteV1(series), 1 << 20), {}, 'bytes');
    expect(rows(raw)).toEqual(rows(decodeRemoteWriteV1(encodeRemoteWriteV1(series), {}, 'bytes')));
  });
});

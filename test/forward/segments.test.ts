/** The forwarder's view of the WAL: rows in log order across segments, in batches, never skipping a frame. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentSource, type Position } from '../../src/forward/segments.js';
import { encodeRowsRecord, FRAME_HEADER } from '../../src/storage/wal.js';
import { encodeHistogramRecord } from '../../src/storage/histograms/index.js';
import { encodeHistogramRow } from '../../src/codec/index.js';
import { crc32 } from 'node:zlib';
import { segmentName } from '../../src/storage/index.js';

function frame(from: number, n: number): Buffer {
  const ids = Float64Array.from({ length: n }, (_, i) => from + i);
  return Buffer.from(
    encodeRowsRecord(
      ids,
      ids.map((x) => x * 1000),
      ids.map((x) => x / 2),
      0,
      n,
    ),
  );
}

describe('SegmentSource', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setup(): SegmentSource {
    dir = mkdtempSync(join(tmpdir(), 'strata-segs-'));
    mkdirSync(join(dir, 'wal'));
    return new SegmentSource(join(dir, 'wal'), join(dir, 'archive'));
  }

  function drain(src: SegmentSource, maxRows: number): { ids: number[]; at: Position } {
    const ids: number[] = [];
    let at: Position = { seq: 1, off: 0 };
    for (let i = 0; i < 1000; i++) {
      const r = src.read(at, maxRows);
      if (r.rows.count === 0 && r.next.seq === at.seq && r.next.off === at.off) break;
      ids.push(...r.rows.ids);
      at = r.next;
    }
    return { ids, at };
  }

  it('reads archived and live segments in order, in batches of whole frames', () => {
    const src = setup();
    writeFileSync(src.archivePath(1), Buffer.concat([frame(0, 3), frame(3, 3)]));
    writeFileSync(join(dir, 'wal', segmentName(2)), Buffer.concat([frame(6, 4), frame(10, 2)]));
    expect(drain(src, 2).ids).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('skips the torn tail of an older segment and waits at an incomplete frame of the newest', () => {
    const src = setup();
    writeFileSync(join(dir, 'wal', segmentName(1)), Buffer.concat([frame(0, 2), frame(2, 2).subarray(0, 20)]));
    const half = frame(6, 2);
    writeFileSync(join(dir, 'wal', segmentName(2)), Buffer.concat([frame(4, 2), half.subarray(0, 10)]));
    const { ids, at } = drain(src, 100);
    expect(ids).toEqual([0, 1, 4, 5]);
    expect(at).toEqual({ seq: 2, off: frame(4, 2).length });
    writeFileSync(join(dir, 'wal', segmentName(2)), Buffer.concat([frame(4, 2), half]));
    expect(Array.from(src.read(at, 100).rows.ids)).toEqual([6, 7]);
  });

  it('reads a frame larger than the batch budget whole', () => {
    const src = setup();
    writeFileSync(join(dir, 'wal', segmentName(1)), Buffer.concat([frame(0, 5000), frame(5000, 1)]));
    const r = src.read({ seq: 1, off: 0 }, 10);
    expect(r.rows.count).toBe(5000);
  });

  it('reads the histogram log the same way: records in order across the archive and the live segments', () => {
    const src = setup();
    writeFileSync(src.archivePath(1), Buffer.concat([histogramFrame(0, 2), histogramFrame(2, 3)]));
    writeFileSync(join(dir, 'wal', segmentName(2)), histogramFrame(5, 1));
    const seen: number[] = [];
    const sums: number[] = [];
    let at: Position = { seq: 1, off: 0 };
    for (let i = 0; i < 10; i++) {
      const r = src.readHistograms(at, 2);
      for (const rec of r.records) {
        seen.push(...rec.ids);
        for (let k = 0; k < rec.count; k++) sums.push(readSum(rec.rows.bytes, rec.rows.offsets[k]!));
      }
      at = r.next;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sums).toEqual([0, 1.5, 3, 4.5, 6, 7.5]);
    expect(src.countRows(1, 0)).toBe(5);
  });
});

/** A histogram WAL frame of n rows for series from.., each with sum 1.5 × id. */
function histogramFrame(from: number, n: number): Buffer {
  const rows = Array.from({ length: n }, (_, i) =>
    encodeHistogramRow({
      schema: 0,
      counterResetHint: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 1,
      sum: 1.5 * (from + i),
      positiveSpans: [{ offset: 0, length: 1 }],
      positiveBuckets: Float64Array.of(1),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      customValues: new Float64Array(0),
    }),
  );
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + rows[i]!.length;
  const ids = Float64Array.from({ length: n }, (_, i) => from + i);
  const frame = Buffer.from(
    encodeHistogramRecord(
      ids,
      ids.map((x) => x * 1000),
      Float64Array.from({ length: n }, (_, i) => i),
      n,
      { count: n, offsets, bytes: Buffer.concat(rows) },
      FRAME_HEADER,
    ),
  );
  frame.writeUInt32LE(frame.length - FRAME_HEADER, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER)), 4);
  return frame;
}

/** The sum field of a flat histogram row (codec/histogram-row.ts: f64 at byte 48). */
function readSum(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getFloat64(at + 48, true);
}

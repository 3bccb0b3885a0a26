/** The forwarder's view of the WAL: rows in log order across segments, in batches, never skipping a frame. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentSource, type Position } from '../../src/forward/segments.js';
import { encodeRowsRecord } from '../../src/storage/wal.js';
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
});

import type { HistogramRows } from '../../codec/index.js';
import { StorageError } from '../errors.js';
import { KIND_HISTOGRAMS } from '../wal.js';

/**
 * The WAL record of native histogram rows (docs/format/wal.md, kind 2):
 * `u8 kind=2, 3×0, u32 count, f64 ids[count], f64 ts[count], u32 offsets[count + 1], rows`,
 * where row i is the flat histogram (codec/histogram-row.ts) at rows[offsets[i], offsets[i + 1]).
 */

const HEADER = 8;

export interface HistogramRecord {
  readonly count: number;
  readonly ids: Float64Array;
  readonly timestamps: Float64Array;
  readonly rows: HistogramRows;
}

/**
 * Rows `rowNumbers[0..count)` of `rows`, for series ids[i] at ts[i]. With `frameRoom`, the
 * payload starts that many bytes into the result (room for the WAL frame header, so the WAL
 * writes it without another copy).
 */
export function encodeHistogramRecord(
  ids: Float64Array,
  ts: Float64Array,
  rowNumbers: Float64Array,
  count: number,
  rows: HistogramRows,
  frameRoom = 0,
): Uint8Array {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const r = rowNumbers[i]!;
    bytes += rows.offsets[r + 1]! - rows.offsets[r]!;
  }
  const offAt = HEADER + 16 * count;
  const rowsAt = offAt + 4 * (count + 1);
  const frame = new Uint8Array(frameRoom + rowsAt + bytes);
  const out = frame.subarray(frameRoom);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint8(0, KIND_HISTOGRAMS);
  dv.setUint32(4, count, true);
  let w = 0;
  const src = rows.bytes;
  let runFrom = -1;
  let runTo = -1;
  const copyRun = (): void => {
    if (runFrom < 0) return;
    out.set(src.subarray(runFrom, runTo), rowsAt + w - (runTo - runFrom));
  };
  for (let i = 0; i < count; i++) {
    dv.setFloat64(HEADER + 8 * i, ids[i]!, true);
    dv.setFloat64(HEADER + 8 * (count + i), ts[i]!, true);
    const r = rowNumbers[i]!;
    const s = rows.offsets[r]!;
    const e = rows.offsets[r + 1]!;
    dv.setUint32(offAt + 4 * i, w, true);
    // Consecutive rows (the usual case: the whole batch in order) go in one copy.
    if (s !== runTo) {
      copyRun();
      runFrom = s;
    }
    runTo = e;
    w += e - s;
  }
  copyRun();
  dv.setUint32(offAt + 4 * count, w, true);
  return frame;
}

/** Where the rows of a payload of `count` rows begin. */
export function recordRowsAt(count: number): number {
  return HEADER + 20 * count + 4;
}

export function decodeHistogramRecord(payload: Uint8Array): HistogramRecord {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length < HEADER || dv.getUint8(0) !== KIND_HISTOGRAMS) throw new StorageError('not a WAL histogram record');
  const count = dv.getUint32(4, true);
  const offAt = HEADER + 16 * count;
  const rowsAt = offAt + 4 * (count + 1);
  if (rowsAt > payload.length) throw new StorageError('WAL histogram record shorter than its count');
  const ids = new Float64Array(count);
  const timestamps = new Float64Array(count);
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) {
    ids[i] = dv.getFloat64(HEADER + 8 * i, true);
    timestamps[i] = dv.getFloat64(HEADER + 8 * (count + i), true);
  }
  for (let i = 0; i <= count; i++) offsets[i] = dv.getUint32(offAt + 4 * i, true);
  if (rowsAt + offsets[count]! !== payload.length) throw new StorageError('WAL histogram record length does not match its rows');
  for (let i = 0; i < count; i++) if (offsets[i + 1]! < offsets[i]!) throw new StorageError('WAL histogram record with descending offsets');
  return { count, ids, timestamps, rows: { count, offsets, bytes: payload.slice(rowsAt) } };
}

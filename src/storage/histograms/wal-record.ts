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
 * A record of rows `rowNumbers[0..count)` of `rows`, for series ids[i] at ts[i], in two pieces
 * written one after the other: `head` (`frameRoom` free bytes for the WAL frame header, then the
 * payload up to the rows) and `body` (the rows). When the rows named are one stretch of
 * `rows.bytes` in order (a whole request's, the usual case), `body` is that very stretch, not a
 * copy. `offsets` are the rows' offsets within `body`.
 */
export function histogramRecordParts(
  ids: Float64Array,
  ts: Float64Array,
  rowNumbers: Float64Array,
  count: number,
  rows: HistogramRows,
  frameRoom = 0,
): { head: Uint8Array; body: Uint8Array; offsets: Uint32Array } {
  const offAt = HEADER + 16 * count;
  const rowsAt = offAt + 4 * (count + 1);
  const head = new Uint8Array(frameRoom + rowsAt);
  const out = head.subarray(frameRoom);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint8(0, KIND_HISTOGRAMS);
  dv.setUint32(4, count, true);
  const ro = rows.offsets;
  let contiguous = true;
  for (let i = 1; i < count && contiguous; i++) contiguous = ro[rowNumbers[i]!] === ro[rowNumbers[i - 1]! + 1];
  const offsets = new Uint32Array(count + 1);
  let body: Uint8Array;
  if (contiguous) {
    const base = count > 0 ? ro[rowNumbers[0]!]! : 0;
    for (let i = 0; i < count; i++) offsets[i + 1] = ro[rowNumbers[i]! + 1]! - base;
    body = rows.bytes.subarray(base, base + offsets[count]!);
  } else {
    for (let i = 0; i < count; i++) {
      const r = rowNumbers[i]!;
      offsets[i + 1] = offsets[i]! + ro[r + 1]! - ro[r]!;
    }
    body = new Uint8Array(offsets[count]!);
    for (let i = 0; i < count; i++) {
      const r = rowNumbers[i]!;
      body.set(rows.bytes.subarray(ro[r]!, ro[r + 1]!), offsets[i]!);
    }
  }
  // ids and ts are float64 columns, offsets u32: copied as bytes (the head's alignment is unknown).
  out.set(new Uint8Array(ids.buffer, ids.byteOffset, 8 * count), HEADER);
  out.set(new Uint8Array(ts.buffer, ts.byteOffset, 8 * count), HEADER + 8 * count);
  out.set(new Uint8Array(offsets.buffer, 0, 4 * (count + 1)), offAt);
  return { head, body, offsets };
}

/** The same record in one buffer (tests and format fixtures; the store writes the two pieces). */
export function encodeHistogramRecord(
  ids: Float64Array,
  ts: Float64Array,
  rowNumbers: Float64Array,
  count: number,
  rows: HistogramRows,
  frameRoom = 0,
): Uint8Array {
  const { head, body } = histogramRecordParts(ids, ts, rowNumbers, count, rows, frameRoom);
  const frame = new Uint8Array(head.length + body.length);
  frame.set(head);
  frame.set(body, head.length);
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

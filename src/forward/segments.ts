/**
 * WAL segments as the forwarder reads them: the live ones in `<data>/wal` and the ones storage
 * handed over after flushing (archived in `<data>/forward/segments` while some destination still
 * needs them). Sequence numbers order them across both directories.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { KIND_HISTOGRAMS, SEGMENT_RE, decodeFrames, decodeHistogramRecord, segmentName, type HistogramRecord } from '../storage/index.js';

/** A position in the log: segment sequence number and byte offset in it. */
export interface Position {
  readonly seq: number;
  readonly off: number;
}

export interface Rows {
  ids: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
  count: number;
}

export interface ReadResult {
  readonly rows: Rows;
  /** Where the next read starts. */
  readonly next: Position;
}

export interface HistogramReadResult {
  readonly records: readonly HistogramRecord[];
  /** Histogram samples in the records. */
  readonly count: number;
  readonly next: Position;
}

/** A row takes 24 bytes in a frame; reads ask for what the row budget needs, plus slack for headers. */
const ROW_BYTES = 24;
const READ_SLACK = 64 * 1024;
/** Frame header: u32 length, u32 crc. */
const FRAME_HEADER = 8;

export class SegmentSource {
  constructor(
    readonly walDir: string,
    readonly archiveDir: string,
  ) {
    fs.mkdirSync(archiveDir, { recursive: true });
  }

  /** Every segment in both places, ascending, with its size and path. */
  list(): { seq: number; path: string; size: number; live: boolean }[] {
    const out: { seq: number; path: string; size: number; live: boolean }[] = [];
    for (const [dir, live] of [
      [this.archiveDir, false],
      [this.walDir, true],
    ] as const) {
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const m = SEGMENT_RE.exec(name);
        if (!m) continue;
        const path = join(dir, name);
        try {
          out.push({ seq: Number(m[1]), path, size: fs.statSync(path).size, live });
        } catch {
          // Moved or deleted between the listing and the stat: the next listing has it right.
        }
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The newest segment, the one being written. */
  private newestSeq(list: readonly { seq: number }[]): number {
    return list.length > 0 ? list[list.length - 1]!.seq : 0;
  }

  /**
   * Rows from `from` on, up to about `maxRows` (whole records), and the position after them. An
   * unreadable tail of a finished segment is skipped (a crash cut it; replay did the same).
   */
  read(from: Position, maxRows: number): ReadResult {
    const parts: Rows[] = [];
    const { total, next } = this.scan(from, maxRows, (data, left) => {
      let n = 0;
      const end = decodeFrames(
        data,
        0,
        (ids, timestamps, values, count) => {
          // Each frame decodes into arrays of its own (decodeFrames), so they are kept as they are.
          parts.push({ ids, timestamps, values, count });
          n += count;
        },
        left,
      );
      return { end, count: n };
    });
    return { rows: concat(parts, total), next };
  }

  /** The native histogram records (a histogram store's WAL) from `from` on, as read() does rows. */
  readHistograms(from: Position, maxRows: number): HistogramReadResult {
    const records: HistogramRecord[] = [];
    const { total, next } = this.scan(from, maxRows, (data, left) => {
      let n = 0;
      const end = decodeFrames(
        data,
        0,
        () => {},
        left,
        (kind, payload) => {
          if (kind !== KIND_HISTOGRAMS) throw new Error(`WAL record of kind ${kind} in a histogram log`);
          const r = decodeHistogramRecord(payload);
          records.push(r);
          n += r.count;
          return r.count;
        },
      );
      return { end, count: n };
    });
    return { records, count: total, next };
  }

  /**
   * Walks the segments from `from`, handing `decode` what a batch of up to `maxRows` rows needs;
   * decode returns where it stopped in the data and how many rows it took.
   */
  private scan(from: Position, maxRows: number, decode: (data: Buffer, maxRows: number) => { end: number; count: number }): { total: number; next: Position } {
    const list = this.list();
    const newest = this.newestSeq(list);
    let total = 0;
    let pos = from;
    for (const seg of list) {
      if (seg.seq < pos.seq) continue;
      if (seg.seq > pos.seq) pos = { seq: seg.seq, off: 0 };
      if (pos.off < seg.size) {
        // Read only what this batch can use: reading a whole large segment for every batch made
        // forwarding cost more than ingesting. A first frame bigger than that is read whole.
        const left = seg.size - pos.off;
        let want = Math.min(left, (maxRows - total) * ROW_BYTES + READ_SLACK);
        let data: Buffer;
        try {
          const fd = fs.openSync(seg.path, 'r');
          try {
            data = readAt(fd, want, pos.off);
            if (data.length >= FRAME_HEADER) {
              const first = FRAME_HEADER + data.readUInt32LE(0);
              if (first > data.length && first <= left) {
                want = first;
                data = readAt(fd, want, pos.off);
              }
            }
          } finally {
            fs.closeSync(fd);
          }
        } catch {
          break; // moved to the archive meanwhile: read again next time
        }
        const partial = want < left;
        const { end, count } = decode(data, maxRows - total);
        total += count;
        pos = { seq: pos.seq, off: pos.off + end };
        if (total >= maxRows) break;
        if (end < data.length) {
          // Stopped inside what was read: either the next frame is only partly read (go on from
          // here next time), or it is whole and does not decode, or the file ends inside it.
          const whole = data.length - end >= FRAME_HEADER && FRAME_HEADER + data.readUInt32LE(end) <= data.length - end;
          if (!whole && partial) break;
          // In the segment being written the next frame is not complete yet; in an older one, what
          // does not decode is a tail a crash cut (replay cut it too): go on with the next segment.
          if (seg.seq === newest) break;
          continue;
        }
        // A read cut short by the batch's budget goes on from here next time.
        if (partial) break;
      }
      if (seg.seq === newest) break;
    }
    return { total, next: pos };
  }

  /** Rows in one segment from an offset on (what dropping it loses). */
  countRows(seq: number, off: number): number {
    const seg = this.list().find((x) => x.seq === seq);
    if (!seg) return 0;
    let n = 0;
    try {
      decodeFrames(
        fs.readFileSync(seg.path),
        off,
        (_ids, _ts, _vs, count) => {
          n += count;
        },
        Infinity,
        (kind, payload) => {
          const count = kind === KIND_HISTOGRAMS ? decodeHistogramRecord(payload).count : 0;
          n += count;
          return count;
        },
      );
    } catch {
      // Gone meanwhile: nothing left to count.
    }
    return n;
  }

  /** Bytes from `from` to the end of the log. */
  pendingBytes(from: Position): number {
    let n = 0;
    for (const seg of this.list()) {
      if (seg.seq < from.seq) continue;
      n += seg.seq === from.seq ? Math.max(0, seg.size - from.off) : seg.size;
    }
    return n;
  }

  archivePath(seq: number): string {
    return join(this.archiveDir, segmentName(seq));
  }
}

function readAt(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  const n = fs.readSync(fd, buf, 0, len, pos);
  return buf.subarray(0, n);
}

function concat(parts: Rows[], total: number): Rows {
  if (parts.length === 1) return parts[0]!;
  const out: Rows = { ids: new Float64Array(total), timestamps: new Float64Array(total), values: new Float64Array(total), count: total };
  let at = 0;
  for (const p of parts) {
    out.ids.set(p.ids, at);
    out.timestamps.set(p.timestamps, at);
    // Copied as a typed-array set: NaN payloads (staleness markers) keep their bits.
    out.values.set(p.values, at);
    at += p.count;
  }
  return out;
}

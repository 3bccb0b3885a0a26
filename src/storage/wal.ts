import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { log } from '../logger.js';
import { StorageError } from './errors.js';

/**
 * Write-ahead log; segment and frame layout: docs/format/wal.md. A frame that is short or fails
 * its CRC marks the end of the valid log: it is what a crash in the middle of write() leaves
 * behind, so replay cuts it off instead of failing.
 */

export type WalFsync = 'always' | 'interval' | 'never';

export const FRAME_HEADER = 8;
const ROWS_HEADER = 8;
const KIND_ROWS = 1;
/** Native histogram rows (storage/histograms/wal-record.ts); only in the histogram store's WAL. */
export const KIND_HISTOGRAMS = 2;
/** No legitimate record is this large; a bigger length field is garbage from a torn write. */
const MAX_PAYLOAD = 1 << 30;

export interface WalOptions {
  dir: string;
  fsync: WalFsync;
  fsyncIntervalMs: number;
  /**
   * Offered each segment whose rows are safely in parts, before it is deleted: returns true when
   * it took the file (moved it elsewhere, e.g. for forwarding to remote storage).
   */
  archive?: (path: string, seq: number) => boolean;
  /** Receives replayed records of kinds other than rows (see KIND_HISTOGRAMS); returns their row count. */
  onRecord?: RecordSink;
}

export type RecordSink = (kind: number, payload: Buffer) => number;

export interface WalReplayStats {
  segments: number;
  records: number;
  rows: number;
  /** Bytes cut from segment tails because the last frame was torn or failed its checksum. */
  truncatedBytes: number;
}

export type RowsSink = (ids: Float64Array, timestamps: Float64Array, values: Float64Array, count: number) => void;

export const SEGMENT_RE = /^(\d{16})\.wal$/;

export function segmentName(seq: number): string {
  return String(seq).padStart(16, '0') + '.wal';
}

/** Encodes a rows frame, into `scratch` when it is big enough (the result is then a view of it). */
export function encodeRowsRecord(ids: Float64Array, ts: Float64Array, vs: Float64Array, from: number, count: number, scratch?: Buffer): Buffer {
  const payloadLen = ROWS_HEADER + count * 24;
  const len = FRAME_HEADER + payloadLen;
  const buf = scratch && scratch.length >= len ? scratch.subarray(0, len) : Buffer.allocUnsafe(len);
  buf.writeUInt32LE(payloadLen, 0);
  buf.writeUInt32LE(KIND_ROWS, 8);
  buf.writeUInt32LE(count, 12);
  // The frame is 16 bytes long before the columns, so a Float64Array view is aligned whenever the
  // buffer itself is; Buffer.allocUnsafe may hand out a pooled slice, so copy through bytes.
  const cols = [ids, ts, vs];
  let off = FRAME_HEADER + ROWS_HEADER;
  for (const col of cols) {
    const bytes = new Uint8Array(col.buffer, col.byteOffset + from * 8, count * 8);
    buf.set(bytes, off);
    off += count * 8;
  }
  buf.writeUInt32LE(crc32(buf.subarray(FRAME_HEADER)), 4);
  return buf;
}

function decodeRows(payload: Buffer, sink: RowsSink, other?: RecordSink): number {
  if (other !== undefined && payload.length >= ROWS_HEADER && payload.readUInt8(0) !== KIND_ROWS) return other(payload.readUInt8(0), payload);
  if (payload.length < ROWS_HEADER || payload.readUInt8(0) !== KIND_ROWS) {
    throw new StorageError(`WAL record of unknown kind ${payload.length ? payload.readUInt8(0) : 'empty'}`);
  }
  const count = payload.readUInt32LE(4);
  if (payload.length !== ROWS_HEADER + count * 24) throw new StorageError('WAL rows record length does not match its count');
  // One copy into an aligned buffer, then three views: replay of a full WAL is a hot path.
  const aligned = new Float64Array(count * 3);
  new Uint8Array(aligned.buffer).set(payload.subarray(ROWS_HEADER));
  sink(aligned.subarray(0, count), aligned.subarray(count, 2 * count), aligned.subarray(2 * count), count);
  return count;
}

/**
 * Decodes the complete, valid frames of `data` from `from` on into sink, stopping at the first
 * short, torn or nonsensical one, or once `maxRows` rows were handed out (whole frames); returns
 * where it stopped (the end of the valid log in `data`, when it ran to it).
 * The one reader of the frame format: replay and forwarding both use it.
 */
export function decodeFrames(data: Buffer, from: number, sink: RowsSink, maxRows = Infinity, other?: RecordSink): number {
  let off = from;
  let rows = 0;
  while (off + FRAME_HEADER <= data.length && rows < maxRows) {
    const len = data.readUInt32LE(off);
    const sum = data.readUInt32LE(off + 4);
    if (len > MAX_PAYLOAD || off + FRAME_HEADER + len > data.length) break;
    const payload = data.subarray(off + FRAME_HEADER, off + FRAME_HEADER + len);
    if (crc32(payload) !== sum) break;
    try {
      rows += decodeRows(payload, sink, other);
    } catch {
      break; // a frame with a valid CRC but nonsense inside is treated like a torn one
    }
    off += FRAME_HEADER + len;
  }
  return off;
}

/** Frames larger than this get a buffer of their own rather than growing the shared one. */
const MAX_SCRATCH_BYTES = 8 * 1024 * 1024;

export class Wal {
  private scratch: Buffer = Buffer.alloc(0);
  private fd = -1;
  private seq = 0;
  private segmentBytes = 0;
  private olderBytes = 0;
  private readonly sealed: { seq: number; bytes: number }[] = [];
  private inflight: Promise<void> | null = null;
  private nextSync: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private closed = false;

  private constructor(private readonly opts: WalOptions) {}

  /** Replays every segment into sink (oldest first), cutting torn tails, then opens a fresh segment. */
  static open(opts: WalOptions, sink: RowsSink): { wal: Wal; replay: WalReplayStats } {
    fs.mkdirSync(opts.dir, { recursive: true });
    const wal = new Wal(opts);
    const replay = wal.replayAll(sink);
    wal.openSegment(wal.seq + 1);
    if (opts.fsync === 'interval') {
      wal.timer = setInterval(
        () => {
          if (wal.dirty) wal.sync().catch(() => {});
        },
        Math.max(1, opts.fsyncIntervalMs),
      );
      wal.timer.unref();
    }
    return { wal, replay };
  }

  private replayAll(sink: RowsSink): WalReplayStats {
    const stats: WalReplayStats = { segments: 0, records: 0, rows: 0, truncatedBytes: 0 };
    const seqs = fs
      .readdirSync(this.opts.dir)
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      const path = join(this.opts.dir, segmentName(seq));
      const data = fs.readFileSync(path);
      const other = this.opts.onRecord;
      const off = decodeFrames(
        data,
        0,
        (ids, ts, vs, n) => {
          sink(ids, ts, vs, n);
          stats.rows += n;
          stats.records++;
        },
        Infinity,
        other &&
          ((kind, payload) => {
            const n = other(kind, payload);
            stats.rows += n;
            stats.records++;
            return n;
          }),
      );
      if (off < data.length) {
        // Rows past a torn or corrupt frame are gone: say where and how much, not just count it.
        log.warn('WAL segment has a damaged tail; dropped it', { segment: path, offset: off, bytesDropped: data.length - off, segmentBytes: data.length });
        stats.truncatedBytes += data.length - off;
        fs.truncateSync(path, off);
        const fd = fs.openSync(path, 'r+');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      }
      stats.segments++;
      this.sealed.push({ seq, bytes: off });
      this.olderBytes += off;
      this.seq = seq;
    }
    return stats;
  }

  private openSegment(seq: number): void {
    this.fd = fs.openSync(join(this.opts.dir, segmentName(seq)), 'a');
    this.seq = seq;
    this.segmentBytes = 0;
    syncDir(this.opts.dir);
  }

  /** Writes one record; it survives a process kill on return (it is in the kernel's page cache). */
  /**
   * One reusable frame buffer: the write below is synchronous, so a frame never outlives the
   * call, and a fresh buffer per batch was a few hundred KB of garbage per request.
   */
  private frameScratch(len: number): Buffer | undefined {
    if (len > MAX_SCRATCH_BYTES) return undefined;
    if (this.scratch.length < len) {
      let cap = 64 * 1024;
      while (cap < len) cap *= 2;
      this.scratch = Buffer.allocUnsafeSlow(cap);
    }
    return this.scratch;
  }

  append(ids: Float64Array, ts: Float64Array, vs: Float64Array, from: number, count: number): void {
    if (this.closed) throw new StorageError('WAL is closed');
    this.writeFrame(encodeRowsRecord(ids, ts, vs, from, count, this.frameScratch(FRAME_HEADER + ROWS_HEADER + count * 24)));
  }

  /**
   * Writes one record of another kind: `frame` is FRAME_HEADER free bytes, then the payload,
   * which starts with its kind byte (see RecordSink). The header is filled in place.
   */
  appendRecord(frame: Uint8Array): void {
    if (this.closed) throw new StorageError('WAL is closed');
    const rec = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    rec.writeUInt32LE(rec.length - FRAME_HEADER, 0);
    rec.writeUInt32LE(crc32(rec.subarray(FRAME_HEADER)), 4);
    this.writeFrame(rec);
  }

  /**
   * appendRecord with the payload in two pieces, `head` (FRAME_HEADER free bytes, then the first
   * piece) and `body`, written one after the other: a large body goes to the file without being
   * copied into one frame first.
   */
  appendRecordParts(head: Uint8Array, body: Uint8Array): void {
    if (this.closed) throw new StorageError('WAL is closed');
    const rec = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
    rec.writeUInt32LE(rec.length - FRAME_HEADER + body.length, 0);
    rec.writeUInt32LE(crc32(body, crc32(rec.subarray(FRAME_HEADER))), 4);
    this.writeFrame(rec, body);
  }

  private writeFrame(rec: Buffer, tail?: Uint8Array): void {
    let off = 0;
    try {
      while (off < rec.length) off += fs.writeSync(this.fd, rec, off, rec.length - off);
      for (let t = 0; tail !== undefined && t < tail.length;) {
        const k = fs.writeSync(this.fd, tail, t, tail.length - t);
        t += k;
        off += k;
      }
    } catch (e) {
      // A half-written frame would end replay early and hide every later record: cut it off.
      if (off > 0) {
        try {
          fs.ftruncateSync(this.fd, this.segmentBytes);
        } catch {
          // Cannot cut: leave the torn frame last in its segment and carry on in a new one.
          this.sealed.push({ seq: this.seq, bytes: this.segmentBytes });
          this.olderBytes += this.segmentBytes;
          const old = this.fd;
          this.openSegment(this.seq + 1);
          void (this.inflight ?? Promise.resolve()).catch(() => {}).finally(() => fs.closeSync(old));
        }
      }
      throw new StorageError(`WAL write failed, rows not stored: ${(e as Error).message}`);
    }
    this.segmentBytes += rec.length + (tail?.length ?? 0);
    this.dirty = true;
  }

  /**
   * Resolves once everything written before the call is on stable storage. Concurrent callers
   * share one fdatasync (group commit): whoever arrives while a sync is running waits for the next one.
   */
  sync(): Promise<void> {
    if (this.nextSync) return this.nextSync;
    const start = (): Promise<void> => {
      this.nextSync = null;
      this.dirty = false;
      const fd = this.fd;
      const run = new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
      this.inflight = run.finally(() => {
        if (this.inflight === guarded) this.inflight = null;
      });
      // Waiters only order themselves after it; the failure reaches the caller through `run`.
      this.inflight.catch(() => {});
      const guarded = this.inflight;
      return run;
    };
    const p = this.inflight ? this.inflight.catch(() => {}).then(start) : Promise.resolve().then(start);
    this.nextSync = p;
    return p;
  }

  /** Resolves when rows appended before the call are durable per the fsync policy. */
  committed(): Promise<void> {
    return this.opts.fsync === 'always' ? this.sync() : Promise.resolve();
  }

  /**
   * Starts a new segment and returns the sequence number of the last segment the caller may drop
   * once everything written so far is safely in parts.
   */
  rotate(): number {
    const old = this.fd;
    const oldSeq = this.seq;
    const oldBytes = this.segmentBytes;
    if (this.opts.fsync !== 'never') fs.fsyncSync(old);
    // The new segment first: when it cannot be created (no space, no inodes, read-only) the
    // current one stays open and in use, instead of appends and syncs going to a closed fd.
    this.openSegment(oldSeq + 1);
    const waitFor = this.inflight ?? Promise.resolve();
    void waitFor.catch(() => {}).finally(() => fs.closeSync(old));
    this.sealed.push({ seq: oldSeq, bytes: oldBytes });
    this.olderBytes += oldBytes;
    return oldSeq;
  }

  /** Deletes sealed segments up to and including seq. */
  dropThrough(seq: number): void {
    while (this.sealed.length > 0 && this.sealed[0]!.seq <= seq) {
      const s = this.sealed.shift()!;
      const path = join(this.opts.dir, segmentName(s.seq));
      if (!this.opts.archive?.(path, s.seq)) fs.rmSync(path, { force: true });
      this.olderBytes -= s.bytes;
    }
    syncDir(this.opts.dir);
  }

  /** Bytes currently held in WAL segments. */
  get bytes(): number {
    return this.olderBytes + this.segmentBytes;
  }

  get segments(): number {
    return this.sealed.length + 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.closed = true;
    await this.inflight?.catch(() => {});
    if (this.opts.fsync !== 'never') fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

/** fsync on a directory makes creations, renames and deletions inside it durable. */
export function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; there is nothing better to do there.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

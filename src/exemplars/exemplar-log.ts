/**
 * The exemplar store's append log (`<data>/exemplars/exemplars.log`, format in
 * docs/format/exemplars.md): one CRC32-checked record per stored exemplar (as WAL frames are). On start the log
 * is replayed; a torn or corrupt tail (a crash mid-write) is cut off at the last good record.
 * Since the rings overwrite, the log is rewritten from what they hold once it has grown past
 * twice that, so it stays within a few times --maxExemplars records.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { log } from '../logger.js';
import { readVarint, writeVarint } from '../varint.js';
import type { Label, Tenant } from '../model/index.js';
import type { StoredExemplar } from './ring.js';

const RECORD_VERSION = 1;
const HEADER = 8;

export interface LoggedExemplar {
  readonly tenant: Tenant;
  readonly exemplar: StoredExemplar;
}

class RecordWriter {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  private varint(n: number): void {
    this.ensure(10);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  private bytes(s: string, encoding: 'utf8' | 'latin1'): void {
    const len = Buffer.byteLength(s, encoding);
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, encoding);
  }

  record(tenant: Tenant, e: StoredExemplar): void {
    this.ensure(HEADER);
    const start = this.pos;
    this.pos += HEADER;
    this.ensure(1);
    this.buf[this.pos++] = RECORD_VERSION;
    this.varint(tenant.accountID);
    this.varint(tenant.projectID);
    this.bytes(e.series, 'latin1');
    this.varint(e.labels.length);
    for (const l of e.labels) {
      this.bytes(l.name, 'utf8');
      this.bytes(l.value, 'utf8');
    }
    this.ensure(16);
    this.buf.writeDoubleLE(e.value, this.pos);
    this.buf.writeDoubleLE(e.timestamp, this.pos + 8);
    this.pos += 16;
    const len = this.pos - start - HEADER;
    this.buf.writeUInt32LE(len, start);
    this.buf.writeUInt32LE(crc32(this.buf.subarray(start + HEADER, this.pos)), start + 4);
  }

  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }
}

class RecordReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  varint(): number {
    return readVarint(this.buf, this, this.end);
  }

  bytes(encoding: 'utf8' | 'latin1'): string {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated string');
    const s = this.buf.toString(encoding, this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new Error('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
}

function decodeRecord(buf: Buffer, start: number, end: number): LoggedExemplar {
  const r = new RecordReader(buf, start, end);
  if (buf[r.pos++] !== RECORD_VERSION) throw new Error(`unknown record version ${buf[start]}`);
  const tenant = { accountID: r.varint(), projectID: r.varint() };
  const series = r.bytes('latin1');
  const n = r.varint();
  const labels: Label[] = [];
  for (let i = 0; i < n; i++) labels.push({ name: r.bytes('utf8'), value: r.bytes('utf8') });
  const value = r.double();
  const timestamp = r.double();
  if (r.pos !== end) throw new Error('record longer than its fields');
  return { tenant, exemplar: { series, labels, value, timestamp } };
}

export class ExemplarLog {
  private fd: number;
  private readonly path: string;
  private readonly writer = new RecordWriter();
  /** Records in the file now. */
  records = 0;

  private constructor(private readonly dir: string) {
    this.path = join(dir, 'exemplars.log');
    this.fd = openSync(this.path, 'a');
  }

  /** Opens (creating) the log in `dir` and hands every intact record to `replay`, oldest first. */
  static open(dir: string, replay: (r: LoggedExemplar) => void): ExemplarLog {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'exemplars.log');
    let good = 0;
    let records = 0;
    if (existsSync(path)) {
      const buf = readFileSync(path);
      let why: string | null = null;
      while (good < buf.length) {
        if (good + HEADER > buf.length) {
          why = 'truncated record header';
          break;
        }
        const len = buf.readUInt32LE(good);
        const end = good + HEADER + len;
        if (end > buf.length) {
          why = `record of ${len} bytes runs past the end`;
          break;
        }
        if (crc32(buf.subarray(good + HEADER, end)) !== buf.readUInt32LE(good + 4)) {
          why = 'checksum mismatch';
          break;
        }
        let rec: LoggedExemplar;
        try {
          rec = decodeRecord(buf, good + HEADER, end);
        } catch (e) {
          why = (e as Error).message;
          break;
        }
        replay(rec);
        records++;
        good = end;
      }
      if (why !== null) {
        log.warn('exemplar log: cutting a damaged tail (an interrupted write); the exemplars before it are kept', {
          path,
          offset: good,
          dropped_bytes: buf.length - good,
          why,
        });
        truncateSync(path, good);
      }
    }
    const l = new ExemplarLog(dir);
    l.records = records;
    return l;
  }

  append(rows: readonly LoggedExemplar[]): void {
    if (rows.length === 0) return;
    for (const r of rows) this.writer.record(r.tenant, r.exemplar);
    const buf = this.writer.take();
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.records += rows.length;
  }

  /** Replaces the log with exactly these records (written to a temporary file, synced, renamed). */
  rewrite(rows: Iterable<LoggedExemplar>): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    let n = 0;
    try {
      for (const r of rows) {
        this.writer.record(r.tenant, r.exemplar);
        n++;
        if (this.writer.pos >= 1 << 20) writeAll(fd, this.writer.take());
      }
      writeAll(fd, this.writer.take());
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDir(this.dir);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
    this.records = n;
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wal, encodeRowsRecord } from '../../src/storage/wal.js';
import { tempDir } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function dir(): string {
  const d = tempDir('strata-wal-');
  cleanups.push(d.cleanup);
  return join(d.path, 'wal');
}

type Row = [number, number, number];

function openCollect(path: string, fsync: 'always' | 'interval' | 'never' = 'never'): { wal: Wal; rows: Row[]; truncated: number } {
  const rows: Row[] = [];
  const { wal, replay } = Wal.open({ dir: path, fsync, fsyncIntervalMs: 10 }, (ids, ts, vs, n) => {
    for (let i = 0; i < n; i++) rows.push([ids[i]!, ts[i]!, vs[i]!]);
  });
  return { wal, rows, truncated: replay.truncatedBytes };
}

function write(wal: Wal, rows: Row[]): void {
  wal.append(
    Float64Array.from(rows, (r) => r[0]),
    Float64Array.from(rows, (r) => r[1]),
    Float64Array.from(rows, (r) => r[2]),
    0,
    rows.length,
  );
}

function segments(path: string): string[] {
  return readdirSync(path)
    .filter((f) => f.endsWith('.wal'))
    .sort();
}

describe('WAL', () => {
  it('replays every record in write order', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [
      [1, 10, 0.5],
      [2, 20, -1],
    ]);
    write(a.wal, [[1, 11, 1e300]]);
    await a.wal.close();
    expect(openCollect(path).rows).toEqual([
      [1, 10, 0.5],
      [2, 20, -1],
      [1, 11, 1e300],
    ]);
  });

  it('frames a record as length, CRC32 and payload', () => {
    const rec = encodeRowsRecord(new Float64Array([7]), new Float64Array([8]), new Float64Array([9]), 0, 1);
    expect(rec.readUInt32LE(0)).toBe(8 + 24);
    expect(rec.length).toBe(8 + 8 + 24);
  });

  it('encodes a frame into a scratch buffer exactly as into a fresh one', () => {
    const cols = [Float64Array.of(1, 2, 3), Float64Array.of(10, 20, 30), Float64Array.of(0.5, NaN, -0)] as const;
    const fresh = encodeRowsRecord(cols[0], cols[1], cols[2], 1, 2);
    const scratch = Buffer.alloc(4096, 0xee);
    const reused = encodeRowsRecord(cols[0], cols[1], cols[2], 1, 2, scratch);
    expect(reused.buffer).toBe(scratch.buffer);
    expect(Buffer.compare(reused, fresh)).toBe(0);
    // Too small a scratch is not used.
    const small = Buffer.alloc(8);
    expect(encodeRowsRecord(cols[0], cols[1], cols[2], 0, 3, small).buffer).not.toBe(small.buffer);
  });

  it('replays batches appended one after another through its reused frame buffer', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
    write(a.wal, [[4, 4, 4]]);
    write(a.wal, [
      [5, 5, 5],
      [6, 6, 6],
    ]);
    await a.wal.close();
    expect(openCollect(path).rows).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
      [4, 4, 4],
      [5, 5, 5],
      [6, 6, 6],
    ]);
  });

  it('cuts a torn tail record and keeps everything before it', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [[1, 1, 1]]);
    write(a.wal, [[2, 2, 2]]);
    await a.wal.close();
    const seg = join(path, segments(path).at(-1)!);
    const full = statSync(seg).size;
    truncateSync(seg, full - 5); // the second record was cut mid-write
    const b = openCollect(path);
    expect(b.rows).toEqual([[1, 1, 1]]);
    expect(b.truncated).toBe(full - 5 - 40);
    expect(statSync(seg).size).toBe(40);
    // The log stays usable: new records land after the cut.
    write(b.wal, [[3, 3, 3]]);
    await b.wal.close();
    expect(openCollect(path).rows).toEqual([
      [1, 1, 1],
      [3, 3, 3],
    ]);
  });

  it('cuts a tail record whose checksum does not match', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [[1, 1, 1]]);
    write(a.wal, [[2, 2, 2]]);
    await a.wal.close();
    const seg = join(path, segments(path).at(-1)!);
    const bytes = readFileSync(seg);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(seg, bytes);
    expect(openCollect(path).rows).toEqual([[1, 1, 1]]);
  });

  it('treats trailing garbage shorter than a frame header as a torn tail', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [[1, 1, 1]]);
    await a.wal.close();
    appendFileSync(join(path, segments(path).at(-1)!), Buffer.from([1, 2, 3]));
    const b = openCollect(path);
    expect(b.rows).toEqual([[1, 1, 1]]);
    expect(b.truncated).toBe(3);
  });

  it('does not trust a huge length field', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [[1, 1, 1]]);
    await a.wal.close();
    const junk = Buffer.alloc(16);
    junk.writeUInt32LE(0xffffffff, 0);
    appendFileSync(join(path, segments(path).at(-1)!), junk);
    expect(openCollect(path).rows).toEqual([[1, 1, 1]]);
  });

  it('drops sealed segments once their rows are safe elsewhere', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [[1, 1, 1]]);
    const sealed = a.wal.rotate();
    write(a.wal, [[2, 2, 2]]);
    expect(segments(path).length).toBe(2);
    a.wal.dropThrough(sealed);
    expect(segments(path).length).toBe(1);
    await a.wal.close();
    expect(openCollect(path).rows).toEqual([[2, 2, 2]]);
  });

  it('in always mode, concurrent commits share fsyncs and all resolve', async () => {
    const path = dir();
    const a = openCollect(path, 'always');
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      write(a.wal, [[i, i, i]]);
      commits.push(a.wal.committed());
    }
    await Promise.all(commits);
    // Group commit: at most one sync running plus one queued, so later callers share a promise.
    expect(new Set(commits).size).toBeLessThanOrEqual(3);
    await a.wal.close();
    expect(openCollect(path).rows.length).toBe(50);
  });

  it('counts the bytes it holds', async () => {
    const path = dir();
    const a = openCollect(path);
    write(a.wal, [
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(a.wal.bytes).toBe(8 + 8 + 48);
    await a.wal.close();
  });
});

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaNAt } from '../../src/model/index.js';
import {
  DecodePool,
  IngestError,
  KeyNotKeptError,
  decodeRemoteWriteV1,
  decodeRemoteWriteV2,
  encodeRemoteWriteV1,
  encodeRemoteWriteV2,
} from '../../src/ingest/index.js';
import { SeriesIdCache } from '../../src/db/series-id-cache.js';

/**
 * Workers need JavaScript: compile src/ingest (and what it imports) into a temp dir that resolves
 * this repo's node_modules, and point the pool at the compiled worker.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let dir = '';
let workerUrl: URL;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'strata-decode-pool-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--ignoreConfig',
      '--outDir',
      join(dir, 'out'),
      '--rootDir',
      join(ROOT, 'src'),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      join(ROOT, 'src/ingest/decode-worker.ts'),
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  // tsc emits no wasm: the ingest module goes beside the compiled modules, as the build puts it.
  mkdirSync(join(dir, 'out/ingest/generated'), { recursive: true });
  copyFileSync(join(ROOT, 'src/ingest/generated/ingest.wasm'), join(dir, 'out/ingest/generated/ingest.wasm'));
  workerUrl = pathToFileURL(join(dir, 'out/ingest/decode-worker.js'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const L = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

function request(n: number, offset = 0): Uint8Array {
  const series = [];
  for (let i = 0; i < n; i++) series.push({ labels: L({ __name__: 'm', i: String(offset + i) }), timestamps: [1000 + i], values: [i * 0.5] });
  return encodeRemoteWriteV1(series);
}

describe('decode pool', () => {
  it('decodes on worker threads with the same result as in-thread decoding', async () => {
    const pool = new DecodePool({ threads: 2, workerUrl });
    try {
      expect(pool.threads).toBe(2);
      const body = request(500);
      const expected = decodeRemoteWriteV1(body);
      const got = await pool.decode('v1', body.slice());
      expect(got.keys).toEqual(expected.keys);
      expect([...got.seriesIndex]).toEqual([...expected.seriesIndex]);
      expect([...got.timestamps]).toEqual([...expected.timestamps]);
      expect([...got.values]).toEqual([...expected.values]);
      expect(got.labels(7)).toEqual(L({ __name__: 'm', i: '7' }));
    } finally {
      await pool.close();
    }
  });

  it('handles many concurrent requests of both versions', async () => {
    const pool = new DecodePool({ threads: 2, workerUrl });
    try {
      const jobs = [];
      for (let r = 0; r < 20; r++) {
        const series = [{ labels: L({ __name__: 'm', r: String(r) }), timestamps: [r], values: [r] }];
        jobs.push(pool.decode(r % 2 ? 'v2' : 'v1', r % 2 ? encodeRemoteWriteV2(series) : encodeRemoteWriteV1(series)));
      }
      const out = await Promise.all(jobs);
      out.forEach((b, r) => expect(b.labels(0)).toEqual(L({ __name__: 'm', r: String(r) })));
      expect(pool.pending).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('keeps staleness markers bit for bit across the thread boundary', async () => {
    const pool = new DecodePool({ threads: 1, workerUrl });
    try {
      const v = new Float64Array(1);
      v[0] = STALE_NAN;
      const b = await pool.decode('v1', encodeRemoteWriteV1([{ labels: L({ __name__: 'x' }), timestamps: [1], values: v }]));
      expect(isStaleNaNAt(b.values, 0)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('rejects malformed bodies with an IngestError carrying the status', async () => {
    const pool = new DecodePool({ threads: 1, workerUrl });
    try {
      await expect(pool.decode('v1', new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(IngestError);
      const big = request(10);
      const small = new DecodePool({ threads: 1, workerUrl, limits: { maxDecompressedBytes: 16 } });
      try {
        await expect(small.decode('v1', big)).rejects.toMatchObject({ status: 413 });
      } finally {
        await small.close();
      }
    } finally {
      await pool.close();
    }
  });

  it('copies a body that is a view into a larger buffer instead of detaching it', async () => {
    const pool = new DecodePool({ threads: 1, workerUrl });
    try {
      const body = request(5);
      const big = new Uint8Array(body.length + 10);
      big.set(body, 10);
      const view = big.subarray(10);
      const b = await pool.decode('v1', view);
      expect(b.sampleCount).toBe(5);
      expect(big.byteLength).toBe(body.length + 10); // not detached
    } finally {
      await pool.close();
    }
  });

  it('looks the series up in the shared id table it is given, leaving unknown ones at 0', async () => {
    const pool = new DecodePool({ threads: 1, workerUrl });
    try {
      const body = request(4);
      const hashes = decodeRemoteWriteV1(body, undefined, 'bytes').keyHashes;
      const cache = new SeriesIdCache(1000);
      cache.set(hashes, 1 * 4, 41);
      cache.set(hashes, 3 * 4, 43);
      const b = await pool.decode('v1', body, cache.shared());
      expect([...b.knownIds!.ids]).toEqual([0, 42, 0, 44]);
      expect(cache.trusted(b.knownIds, 4)).not.toBeNull();
      expect((await pool.decode('v1', request(4))).knownIds).toBeUndefined();
    } finally {
      await pool.close();
    }
  });

  it('sends only the keys of series not found when asked to drop the others (remote write 2.0)', async () => {
    const pool = new DecodePool({ threads: 1, workerUrl });
    try {
      const series = [0, 1, 2].map((i) => ({ labels: L({ __name__: 'm', i: String(i) }), timestamps: [1000], values: [i] }));
      const body = encodeRemoteWriteV2(series);
      const hashes = decodeRemoteWriteV2(body, undefined, 'bytes').keyHashes;
      const cache = new SeriesIdCache(1000);
      cache.set(hashes, 0, 10);
      cache.set(hashes, 2 * 4, 12);
      const b = await pool.decode('v2', body, cache.shared(), true);
      expect([...b.knownIds!.ids]).toEqual([11, 0, 13]);
      expect(b.labels(1)).toEqual(L({ __name__: 'm', i: '1' }));
      expect(() => b.labels(0)).toThrow(KeyNotKeptError);
      expect(() => b.key(2)).toThrow(KeyNotKeptError);
      expect([...b.values]).toEqual([0, 1, 2]);
    } finally {
      await pool.close();
    }
  });

  it('falls back to in-thread decoding when the worker script is missing or threads is 0', async () => {
    const pool = new DecodePool({ threads: 0 });
    expect(pool.threads).toBe(0);
    const b = await pool.decode('v1', request(3));
    expect(b.sampleCount).toBe(3);
    await expect(pool.decode('v1', new Uint8Array([0xff]))).rejects.toBeInstanceOf(IngestError);
    await pool.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STALE_NAN_BITS_HI, STALE_NAN_BITS_LO } from '../../src/model/index.js';
import { Storage, type StorageOptions } from '../../src/storage/index.js';

export function tempDir(prefix = 'strata-storage-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function options(dataPath: string, extra: Partial<StorageOptions> = {}): StorageOptions {
  return {
    dataPath,
    retentionMs: 0,
    dedupIntervalMs: 0,
    flushIntervalMs: 3_600_000,
    walFsync: 'never',
    walFsyncIntervalMs: 1000,
    onError: () => {},
    ...extra,
  };
}

export function openStorage(dataPath: string, extra: Partial<StorageOptions> = {}): Promise<Storage> {
  return Storage.open(options(dataPath, extra));
}

/** Rows as the ingestion layer hands them over. */
export function rows(list: [id: number, t: number, v: number][]): [Float64Array, Float64Array, Float64Array, number] {
  const ids = new Float64Array(list.length);
  const ts = new Float64Array(list.length);
  const vs = new Float64Array(list.length);
  list.forEach(([id, t, v], i) => {
    ids[i] = id;
    ts[i] = t;
    vs[i] = v;
  });
  return [ids, ts, vs, list.length];
}

export function asPairs(s: { timestamps: Float64Array; values: Float64Array } | undefined): [number, number][] {
  if (!s) return [];
  return Array.from(s.timestamps, (t, i) => [t, s.values[i]!]);
}

export const T0 = Date.UTC(2026, 10, 1); // 2026-11-01, inside the current month of the test machine's clock range

/**
 * Values with the Prometheus staleness marker written as raw bits at index i (a JS number
 * holding the marker may lose its NaN payload on the way into an array literal).
 */
export function staleAt(values: number[], i: number): Float64Array {
  const out = Float64Array.from(values);
  const bits = new Uint32Array(out.buffer, i * 8, 2);
  bits[0] = STALE_NAN_BITS_LO;
  bits[1] = STALE_NAN_BITS_HI;
  return out;
}

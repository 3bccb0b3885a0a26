/** Shared steps of the snapshot and backup suites: real servers fed over remote write. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { series, writeV1 } from '../e2e/client.js';

export const HOUR = 3_600_000;

/**
 * Writes `batches` remote-write requests of `seriesCount` series × `points` samples each, in
 * consecutive time ranges from `start`, flushing after each so every batch becomes a part.
 * Values are a function of (series, time), so a reader can check any sample it gets back.
 */
export async function ingest(
  url: string,
  opts: { name?: string; batches: number; seriesCount: number; points: number; start: number; flushEach?: boolean; authKey?: string },
): Promise<number> {
  const name = opts.name ?? 'bk_metric';
  let written = 0;
  for (let b = 0; b < opts.batches; b++) {
    const ts = Array.from({ length: opts.points }, (_, i) => opts.start + (b * opts.points + i) * 10_000);
    const body = Array.from({ length: opts.seriesCount }, (_, s) =>
      series(
        name,
        { s: String(s), pad: 'x'.repeat(20) },
        ts,
        ts.map((t) => valueAt(s, t)),
      ),
    );
    const r = await writeV1(url, body);
    if (r.status !== 204) throw new Error(`write failed: ${r.status} ${await r.text()}`);
    written += opts.seriesCount * opts.points;
    if (opts.flushEach ?? true) await fetch(`${url}/internal/force_flush${opts.authKey ? `?authKey=${opts.authKey}` : ''}`);
  }
  return written;
}

export function valueAt(s: number, t: number): number {
  return s * 1000 + ((t / 10_000) % 997);
}

/** Every sample of `name` the server returns, as series label `s` → (t → value). */
export async function exportAll(url: string, name = 'bk_metric'): Promise<Map<string, Map<number, number>>> {
  const r = await fetch(`${url}/api/v1/export?match[]=${name}&start=0`);
  const got = new Map<string, Map<number, number>>();
  for (const line of (await r.text()).split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const m = new Map<number, number>();
    o.timestamps.forEach((t, i) => m.set(t, o.values[i]!));
    got.set(o.metric.s!, m);
  }
  return got;
}

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function snapshotJson(dataDir: string, name: string): { name: string; files: { path: string; size: number; sha256: string }[]; skipHead: boolean } {
  return JSON.parse(readFileSync(join(dataDir, 'snapshots', name, 'snapshot.json'), 'utf8'));
}

/**
 * Data that does not compress and does not merge: `months` partitions (one part each, so no two
 * parts merge) of `seriesCount` × `points` random values. Needs --retentionPeriod covering them.
 */
export async function ingestSpread(url: string, opts: { months: number; seriesCount: number; points: number }): Promise<void> {
  const now = new Date();
  for (let m = 0; m < opts.months; m++) {
    const t0 = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1 - m, 2);
    const ts = Array.from({ length: opts.points }, (_, i) => t0 + i * 15_000);
    const body = Array.from({ length: opts.seriesCount }, (_, s) =>
      series(
        'spread_metric',
        { s: String(s) },
        ts,
        ts.map(() => Math.random() * 1e6),
      ),
    );
    const r = await writeV1(url, body);
    if (r.status !== 204) throw new Error(`write failed: ${r.status} ${await r.text()}`);
  }
  await fetch(`${url}/internal/force_flush`);
}

/** Bytes in regular files under `dir` (0 when it does not exist). */
export function treeBytes(dir: string): number {
  let n = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

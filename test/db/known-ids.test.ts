/**
 * Ids a decode worker resolved in the series-id cache's shared table (batch.knownIds) are used
 * only while they are still true: a deletion in between makes the database resolve again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/index.js';
import { ColumnBatch, KeyNotKeptError, decodeRemoteWriteV1, dropKnownKeys, encodeRemoteWriteV1, lookupIds, type BatchData } from '../../src/ingest/index.js';

const tenant = { accountID: 0, projectID: 0 };
const labels = [{ name: '__name__', value: 'm' }];
let dir: string;
let db: Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-known-ids-'));
  db = await Database.open({
    dataPath: dir,
    retentionMs: 0,
    dedupIntervalMs: 0,
    flushIntervalMs: 3_600_000,
    walFsync: 'never',
    walFsyncIntervalMs: 1000,
    maxSeriesPerQuery: 1000,
  });
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A batch as a decode worker returns it: decoded, with the ids it found in the shared table. */
function workerBatch(t: number, v: number, dropKeys = false, more: { labels: typeof labels; t: number; v: number }[] = []): ColumnBatch {
  const series = [{ labels, timestamps: [t], values: [v] }, ...more.map((m) => ({ labels: m.labels, timestamps: [m.t], values: [m.v] }))];
  const b = decodeRemoteWriteV1(encodeRemoteWriteV1(series), undefined, 'bytes');
  const data: BatchData = { ...b.toData(), knownIds: lookupIds(db.idTableFor(tenant), b.keyHashes, b.seriesCount) };
  if (dropKeys) dropKnownKeys(data);
  return new ColumnBatch(data);
}

async function samplesOf(): Promise<number[]> {
  const ids = db.index.select(tenant, [{ name: '__name__', type: '=', value: 'm' }], -Infinity, Infinity);
  const read = await db.storage.read(ids, -Infinity, Infinity);
  return ids.flatMap((id) => [...(read.get(id)?.values ?? [])]);
}

describe('ids resolved by decode workers', () => {
  it('stores a known series under the id the worker found, without creating another', async () => {
    const now = Date.now();
    await db.write(tenant, workerBatch(now - 2000, 1));
    const second = workerBatch(now - 1000, 2);
    expect(second.knownIds!.ids[0]).toBeGreaterThan(0);
    const r = await db.write(tenant, second);
    expect(r.seriesCreated).toBe(0);
    expect(await samplesOf()).toEqual([1, 2]);
  });

  it('never writes to a series deleted after the worker looked it up: the label set becomes a new series', async () => {
    const now = Date.now();
    await db.write(tenant, workerBatch(now - 2000, 1));
    const stale = workerBatch(now - 1000, 2);
    const oldId = stale.knownIds!.ids[0]! - 1;
    expect(db.deleteSeries(tenant, [{ name: '__name__', type: '=', value: 'm' }])).toBe(1);
    const r = await db.write(tenant, stale);
    expect(r.seriesCreated).toBe(1);
    const ids = db.index.select(tenant, [{ name: '__name__', type: '=', value: 'm' }], -Infinity, Infinity);
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe(oldId);
    expect(await samplesOf()).toEqual([2]);
  });

  it('without the keys of known series, stores them and creates the unknown ones from the keys it kept', async () => {
    const now = Date.now();
    await db.write(tenant, workerBatch(now - 2000, 1));
    const other = [{ name: '__name__', value: 'other' }];
    const b = workerBatch(now - 1000, 2, true, [{ labels: other, t: now - 1000, v: 3 }]);
    expect(() => b.labels(0)).toThrow(KeyNotKeptError);
    expect(b.labels(1)).toEqual(other);
    const r = await db.write(tenant, b);
    expect(r.seriesCreated).toBe(1);
    expect(await samplesOf()).toEqual([1, 2]);
  });

  it('refuses a batch without the keys of known series once a deletion made its ids untrustworthy', async () => {
    const now = Date.now();
    await db.write(tenant, workerBatch(now - 2000, 1));
    const stale = workerBatch(now - 1000, 2, true);
    db.deleteSeries(tenant, [{ name: '__name__', type: '=', value: 'm' }]);
    await expect(db.write(tenant, stale)).rejects.toBeInstanceOf(KeyNotKeptError);
    expect(await samplesOf()).toEqual([]);
  });

  it('names a known series whose key was not kept by its labels from the index when a sample is out of bounds', async () => {
    const now = Date.now();
    await db.write(tenant, workerBatch(now - 2000, 1));
    const r = await db.write(tenant, workerBatch(-5, 2, true));
    expect(r.samplesDroppedOutOfBounds).toBe(1);
    expect(r.firstOutOfBounds?.labels).toBe('m');
  });

  it('stores a batch whose series were all found with neither their keys nor their hashes', async () => {
    const now = Date.now();
    await db.write(tenant, workerBatch(now - 2000, 1));
    const b = workerBatch(now - 1000, 2, true);
    expect(b.toData().keyHashes).toBeUndefined();
    const r = await db.write(tenant, b);
    expect(r.seriesCreated).toBe(0);
    expect(await samplesOf()).toEqual([1, 2]);
  });
});

/**
 * Ids a decode worker resolved in the series-id cache's shared table (batch.knownIds) are used
 * only while they are still true: a deletion in between makes the database resolve again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/index.js';
import { ColumnBatch, decodeRemoteWriteV1, encodeRemoteWriteV1, lookupIds, type DecodedBatch } from '../../src/ingest/index.js';

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
function workerBatch(t: number, v: number): DecodedBatch {
  const b = decodeRemoteWriteV1(encodeRemoteWriteV1([{ labels, timestamps: [t], values: [v] }]), undefined, 'bytes');
  return new ColumnBatch({ ...b.toData(), knownIds: lookupIds(db.idTableFor(tenant), b.keyHashes, b.seriesCount) });
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
});

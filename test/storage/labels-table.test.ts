import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLabelsBody, readLabelsFile, readManifest, type SeriesLabels } from '../../src/storage/index.js';
import { decodeLabelsBody } from '../../src/storage/labels-table.js';
import { T0, openStorage, rows, tempDir } from './helpers.js';

/** Each part's series table (labels.bin, docs/format/part.md), what `strata index rebuild` reads. */
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

const entry = (id: number, job: string, accountID = 0): SeriesLabels => ({
  id,
  accountID,
  projectID: 0,
  labels: [
    { name: '__name__', value: 'up' },
    { name: 'job', value: job },
  ],
});

describe('the series table', () => {
  it('round-trips tenants and label sets, writing each name and value once', () => {
    const entries = [entry(1, 'node'), entry(2, 'node', 7), entry(900, 'db')];
    const body = encodeLabelsBody(entries);
    expect(decodeLabelsBody(body)).toEqual(entries);
    expect(Buffer.from(body).toString('latin1').split('node').length - 1).toBe(1);
  });

  it('is written by flushes for the series new to their partition, and merges keep the union of their inputs', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const known = new Map([1, 2, 3].map((id) => [id, entry(id, `j${id}`)]));
    const s = await openStorage(d.path, { seriesLabels: (ids) => ({ body: encodeLabelsBody(Array.from(ids, (id) => known.get(id)!)), complete: true }) });
    cleanups.push(() => s.close());
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0, 2],
      ]),
    );
    await s.forceFlush();
    await s.append(
      ...rows([
        [2, T0 + 1000, 3],
        [3, T0 + 1000, 4],
      ]),
    );
    await s.forceFlush();
    const partition = readdirSync(join(d.path, 'data')).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const dir = join(d.path, 'data', partition);
    const tables = () => readManifest(dir)!.parts.map((p) => readLabelsFile(join(dir, p))!.map((e) => e.id));
    expect(tables()).toEqual([[1, 2], [3]]);
    await s.forceMerge();
    expect(tables()).toEqual([[1, 2, 3]]);
    expect(readLabelsFile(join(dir, readManifest(dir)!.parts[0]!))![2]).toEqual(known.get(3));
  });

  it('is written whole again by the first flush after a restart', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    const seriesLabels = (ids: ArrayLike<number>) => ({ body: encodeLabelsBody(Array.from(ids, (id) => entry(id, `j${id}`))), complete: true });
    const first = await openStorage(d.path, { seriesLabels });
    await first.append(...rows([[1, T0, 1]]));
    await first.close();
    const s = await openStorage(d.path, { seriesLabels });
    cleanups.push(() => s.close());
    await s.append(
      ...rows([
        [1, T0 + 1000, 2],
        [2, T0 + 1000, 3],
      ]),
    );
    await s.forceFlush();
    const partition = readdirSync(join(d.path, 'data')).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const dir = join(d.path, 'data', partition);
    expect(readManifest(dir)!.parts.map((p) => readLabelsFile(join(dir, p))!.map((e) => e.id))).toEqual([[1], [1, 2]]);
  });

  it('lists again the series of a flush whose table came back incomplete', async () => {
    const d = tempDir();
    cleanups.push(d.cleanup);
    let complete = false;
    const s = await openStorage(d.path, {
      // An index that could not serve one series' labels: the table says so, and nothing it held counts as listed.
      seriesLabels: (ids) => ({ body: encodeLabelsBody(Array.from(ids, (id) => entry(id, `j${id}`)).filter((e) => complete || e.id !== 2)), complete }),
    });
    cleanups.push(() => s.close());
    await s.append(
      ...rows([
        [1, T0, 1],
        [2, T0, 2],
      ]),
    );
    await s.forceFlush();
    complete = true;
    await s.append(
      ...rows([
        [1, T0 + 1000, 3],
        [2, T0 + 1000, 4],
      ]),
    );
    await s.forceFlush();
    const partition = readdirSync(join(d.path, 'data')).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const dir = join(d.path, 'data', partition);
    expect(readManifest(dir)!.parts.map((p) => readLabelsFile(join(dir, p))!.map((e) => e.id))).toEqual([[1], [1, 2]]);
  });
});

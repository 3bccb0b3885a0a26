/**
 * `strata index rebuild --storageDataPath=DIR` (with the server stopped): recreates `index/` from
 * what survives of it and from the parts' series tables (labels.bin), so a damaged or deleted
 * index costs no series whose labels exist anywhere. Steps: open the database as the server
 * would (a damaged index file is salvaged, the WAL replayed) and flush, so every sample is in a
 * part; take each series' tenant and labels from the old index, else from any part's table; find
 * the days each series has samples on from the parts; build a fresh index beside the old one with
 * the same ids; swap it in. Series found in parts without labels anywhere are counted and stay
 * unreachable; the rebuilt index then makes every query warn about them.
 */
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../db/index.js';
import { LabelIndex, IndexDamage } from '../index/index.js';
import type { Labels, Tenant } from '../model/index.js';
import { LabelsTableError, PARTITION_RE, readLabelsFile, readManifest } from '../storage/index.js';
import { lockDataDir } from '../runtime/index.js';

const DAY_MS = 86_400_000;
// No dot: lmdb-js takes a path with an extension for a file, not a directory.
const REBUILD_DIR = 'index-rebuilding';

export interface RebuildResult {
  readonly series: number;
  readonly fromIndex: number;
  readonly fromParts: number;
  /** Series with samples but no labels anywhere. */
  readonly lost: number;
  readonly days: number;
}

interface Entry {
  id: number;
  tenant: Tenant;
  labels: Labels;
}

export async function rebuildIndex(dataPath: string, say: (line: string) => void = () => {}): Promise<RebuildResult> {
  const lock = lockDataDir(dataPath);
  try {
    const target = join(dataPath, REBUILD_DIR);
    rmSync(target, { recursive: true, force: true });
    const damage = new IndexDamage();
    const db = await Database.open({
      dataPath,
      retentionMs: Infinity,
      dedupIntervalMs: 0,
      flushIntervalMs: 3_600_000,
      walFsync: 'always',
      walFsyncIntervalMs: 1000,
      maxSeriesPerQuery: Number.MAX_SAFE_INTEGER,
      index: {
        damage,
        onSalvage: (r) => say(`index/data.mdb was damaged: salvaged ${r.kept} entries (${r.dropped} dropped), the damaged file kept as ${r.damagedFile}`),
      },
    });
    let result: RebuildResult;
    let rebuilt: LabelIndex | null = null;
    try {
      await db.forceFlush();
      const byId = new Map<number, Entry>();
      for (const e of db.index.everySeries()) byId.set(e.id, e);
      const fromIndex = byId.size;
      let fromParts = 0;
      const partitions = listPartitions(join(dataPath, 'data'));
      for (const p of partitions) {
        for (const part of readManifest(join(dataPath, 'data', p))?.parts ?? []) {
          let table;
          try {
            table = readLabelsFile(join(dataPath, 'data', p, part));
          } catch (e) {
            if (!(e instanceof LabelsTableError)) throw e;
            say(`data/${p}/${part}/labels.bin is damaged (${e.message}): its series come from other parts or the index`);
            continue;
          }
          for (const t of table ?? []) {
            if (byId.has(t.id)) continue;
            byId.set(t.id, { id: t.id, tenant: { accountID: t.accountID, projectID: t.projectID }, labels: t.labels });
            fromParts++;
          }
        }
      }
      const deleted = new Set(db.index.deletedIds());
      const present = await db.storage.seriesIdsInRange(-Infinity, Infinity);
      const lostIds = present.filter((id) => !byId.has(id) && !deleted.has(id));
      const entries = [...byId.values()].sort((a, b) => a.id - b.id);
      const maxPresent = present.length > 0 ? present[present.length - 1]! : 0;
      rmSync(target, { recursive: true, force: true });
      rebuilt = LabelIndex.open(target);
      const incomplete =
        lostIds.length > 0 ? `${lostIds.length} series (e.g. id ${lostIds[0]}) have samples but no labels in the index or any part` : undefined;
      rebuilt.restoreSeries(entries, deleted, Math.max(db.index.peekNextId(), maxPresent + 1), incomplete);
      // Day postings: the series with samples on each day of every partition's month (float
      // and native-histogram partitions; histogram parts carry no series table, so their
      // series' labels come from the old index only).
      let days = 0;
      const known = new Map(entries.map((e) => [e.id, e.tenant]));
      const months = [...new Set([...partitions, ...listPartitions(join(dataPath, 'data', 'histograms'))])].sort();
      for (const p of months) {
        const [y, m] = p.split('_').map(Number) as [number, number];
        for (let t = Date.UTC(y, m - 1, 1); t < Date.UTC(y, m, 1); t += DAY_MS) {
          const ids = await db.storage.seriesIdsInRange(t, t + DAY_MS - 1);
          const byTenant = new Map<string, { tenant: Tenant; ids: number[] }>();
          for (const id of ids) {
            const tenant = known.get(id);
            if (!tenant || deleted.has(id)) continue;
            const k = `${tenant.accountID}:${tenant.projectID}`;
            let g = byTenant.get(k);
            if (!g) byTenant.set(k, (g = { tenant, ids: [] }));
            g.ids.push(id);
          }
          for (const g of byTenant.values()) rebuilt.addToDay(g.tenant, Math.floor(t / DAY_MS), g.ids);
          if (byTenant.size > 0) days++;
        }
      }
      const problems = rebuilt.checkConsistency(5);
      if (problems.length > 0) throw new Error(`the rebuilt index is inconsistent: ${problems.join('; ')}`);
      result = { series: entries.length, fromIndex, fromParts, lost: lostIds.length, days };
    } finally {
      rebuilt?.close();
      await db.close();
    }
    // The swap: the old index (and any damaged file kept in it) goes; the new one takes its place.
    const indexDir = join(dataPath, 'index');
    rmSync(indexDir, { recursive: true, force: true });
    renameSync(target, indexDir);
    return result;
  } finally {
    lock.release();
  }
}

function listPartitions(dataDir: string): string[] {
  try {
    return readdirSync(dataDir)
      .filter((n) => PARTITION_RE.test(n))
      .sort();
  } catch {
    return [];
  }
}

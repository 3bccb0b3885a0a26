import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labelsKey, type Label, type LabelMatcher, type Labels, type Tenant } from '../model/index.js';
import { TwoGenerationCache } from './cache.js';
import { dayOf, dayStart } from './days.js';
import { IndexError } from './errors.js';
import {
  POSTINGS_ALL,
  POSTINGS_LABEL,
  DAY_BYTES,
  TENANT_BYTES,
  canonicalLabels,
  decodeIdList,
  encodeIdList,
  encodeLabels,
  idBytes,
  labelKey,
  labelNamePrefix,
  labelValuePrefix,
  prefixEnd,
  readId,
  readValue,
  readTenant,
  SERIES_KEY_BYTES,
  SeriesKeyEncoder,
  seriesKey,
  tenantBytes,
  tenantDay,
  valueEnd,
} from './keys.js';
import { planMatcher, type MatcherPlan, type ValueSet } from './matcher.js';
import { sortUtf8 } from './order.js';
import { IdCollector, intersect, sortUnique, subtract, union } from './postings.js';
import { blocksHolding, labelBlocks, lastLabelledId, readLabelBlock, writeLabelSets, type LabelBlock } from './label-blocks.js';
import { checkConsistency } from './consistency.js';
import { PendingLists } from './pending-lists.js';
import { decodeEntry, listCount, listEnd, listHas, missingFromList, readList, removeFromList } from './posting-lists.js';
import { openStores, type BinDb, type Stores } from './stores.js';
import { IndexDamage } from './index-damage.js';
import { upgradeFormat } from './format-version.js';
import { checkIndexFile } from './page-check.js';
import { META_DAMAGED, salvageIndex, type SalvageResult } from './salvage.js';
import { DAMAGED } from './checked-db.js';
import { buildCompactCopy, closeEnvNow, COMPACT_CHUNK_ENTRIES, COMPACT_DIR, installCompactCopy, removeCompactLeftovers } from './compaction.js';
import { buildTsdbStatus, scanPostingsStatus, StatusAccumulator, TopCollector, type TsdbStatus } from './tsdb-status.js';
import { LabelBlockCache } from './label-block-cache.js';

export interface LabelIndexOptions {
  /** Label sets → id entries kept for ingestion (default 1M; 0: none, every resolve reads LMDB). */
  seriesCacheSize?: number;
  /** Id → labels entries kept for queries (default 256k). */
  labelsCacheSize?: number;
  /** Bytes of decoded label blocks kept for queries (default 64 MiB; see label-block-cache.ts). */
  labelBlockCacheBytes?: number;
  /**
   * Once a query has narrowed to fewer series than this, its remaining matchers are checked on
   * each series' labels instead of reading more postings (default 2000; 0 = always postings).
   */
  filterByLabelsBelow?: number;
  /**
   * Where damage is recorded (default: a new record). The structural check of the file always
   * runs on open; `deep` also reads every entry (checksums) and cross-checks the databases.
   */
  damage?: IndexDamage;
  verify?: 'light' | 'deep';
  /** Hears that a structurally damaged file was replaced by its salvaged entries. */
  onSalvage?: (r: SalvageResult) => void;
}

export interface CompactOptions {
  /** Entries copied between turns of the event loop (default 5000). */
  chunkEntries?: number;
  /** Copy in one go after two attempts interrupted by writes, rather than give up (default true). */
  mustFinish?: boolean;
}

export interface TsdbStatusOptions {
  /** Day (days since epoch, UTC) to report on; all time when absent. */
  date?: number;
  topN?: number;
  focusLabel?: string;
  matchers?: readonly (readonly LabelMatcher[])[];
}

/** Ranges spanning more days than this read all-time postings instead of per-day ones. */
export const MAX_DAYS_FOR_DAY_POSTINGS = 40;
const META_NEXT_ID = Buffer.from('next_id');
const DATA_FILE = 'data.mdb';
/** Set by a rebuild that found series in the parts without labels anywhere (see restoreSeries). */
const META_INCOMPLETE = Buffer.from('incomplete');
const EMPTY = Buffer.alloc(0);

/** The page counts lmdb-js reports for an environment or a database. */
interface LmdbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

/** Where a query reads postings: all time, or the union of some days. */
interface Scope {
  readonly db: BinDb;
  /** Key prefixes of name\0value postings (one per day, or one for all time). */
  readonly labelPrefixes: readonly Buffer[];
  /** The database and list keys listing every series in scope. */
  readonly allDb: BinDb;
  readonly allKeys: readonly Buffer[];
}

/**
 * The label index: series ids for label sets, postings (all time and per day) and matchers, in one
 * LMDB environment. Every key starts with the tenant. Writes are synchronous, durable transactions.
 */
export class LabelIndex {
  private readonly seriesCache: TwoGenerationCache<string, number>;
  /** False with seriesCacheSize 0: resolve then reads every label set's key from LMDB. */
  private readonly cacheSeries: boolean;
  private readonly labelsCache: TwoGenerationCache<number, Labels>;
  private readonly labelBlocks: LabelBlockCache;
  /** Ids already recorded on a day, per tenant+day key; only recent days are kept. */
  private readonly dayMarks = new Map<string, Set<number>>();
  private readonly deleted = new Set<number>();
  private nextId: number;
  /** The label block read last: ids are mostly looked up in runs from one batch. Blocks never change. */
  private lastBlock: LabelBlock | undefined;
  private closed = false;
  private readonly filterByLabelsBelow: number;
  /** Counts write transactions, so a compaction copying between other work can tell it missed one. */
  private writes = 0;
  private swapping = false;
  /** Backups and compactions run one at a time: a compaction closes the environment a backup reads. */
  private maintenance: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private s: Stores,
    opts: LabelIndexOptions,
  ) {
    this.seriesCache = new TwoGenerationCache(Math.max(1, opts.seriesCacheSize ?? 1_000_000));
    this.cacheSeries = opts.seriesCacheSize !== 0;
    this.labelsCache = new TwoGenerationCache(opts.labelsCacheSize ?? 262_144);
    this.labelBlocks = new LabelBlockCache(opts.labelBlockCacheBytes ?? 64 * 2 ** 20);
    this.filterByLabelsBelow = opts.filterByLabelsBelow ?? 2000;
    for (const key of s.deleted.getKeys()) this.deleted.add(readId(key));
    rekeySeriesIfOld(s, this.deleted);
    // The stored counter is authoritative; the last assigned id guards against a counter that
    // somehow lags (ids must never be reused, even after restoring an odd backup).
    const last = lastLabelledId(s.labels);
    const counter = s.meta.getBinary(META_NEXT_ID);
    this.nextId = Math.max(counter?.length === 8 ? readId(counter) : 1, last + 1);
  }

  /**
   * Opens (creating if needed) the index environment in `dir` (normally `<data>/index`). The
   * file is checked page by page before LMDB reads it (page-check.ts); a damaged one is replaced
   * by what can be salvaged from it (salvage.ts), and the index then counts as damaged.
   */
  static open(dir: string, opts: LabelIndexOptions = {}): LabelIndex {
    removeCompactLeftovers(dir);
    const damage = opts.damage ?? new IndexDamage();
    if (existsSync(join(dir, DATA_FILE))) {
      const check = checkIndexFile(join(dir, DATA_FILE));
      if (check.problems.length > 0) {
        for (const p of check.problems) damage.record('file', '', p);
        const r = salvageIndex(dir, check.problems);
        opts.onSalvage?.(r);
      }
    }
    const s = openStores(dir, damage);
    try {
      upgradeFormat(s);
      const idx = new LabelIndex(dir, s, opts);
      const note = s.meta.getBinary(META_DAMAGED);
      if (note !== undefined && !damage.damaged) damage.record('file', '', note.toString('utf8'));
      const incomplete = s.meta.getBinary(META_INCOMPLETE);
      if (incomplete !== undefined) damage.setIncomplete(incomplete.toString('utf8'));
      if (opts.verify === 'deep') for (const p of idx.verifyEntries()) damage.record('consistency', '', p);
      return idx;
    } catch (e) {
      void s.env.close();
      throw e;
    }
  }

  /** What the index knows it cannot serve (see index-damage.ts). */
  get damage(): IndexDamage {
    return this.s.damage;
  }

  /**
   * The deep check: reads every entry of every database (each failing checksum is recorded as
   * damage) and cross-checks them; returns the cross-check's problems.
   */
  verifyEntries(maxProblems = 100): string[] {
    this.checkOpen();
    for (const db of [this.s.series, this.s.labels, this.s.postings, this.s.dayPostings, this.s.daySeries, this.s.deleted, this.s.meta]) {
      for (const _ of db.getRange()) {
        // reading is the check
      }
    }
    return checkConsistency(this.s, this.deleted, this.nextId, maxProblems);
  }

  private checkOpen(): void {
    if (this.closed) throw new IndexError('label index is closed');
    if (this.swapping) throw new IndexError('label index is reopening after a compaction; try again');
  }

  private static cachePrefix(t: Tenant): string {
    // Label keys start with a label name, never with \u0002, so tenant prefixes cannot collide.
    return t.accountID === 0 && t.projectID === 0 ? '' : `\u0002${t.accountID}:${t.projectID}\u0002`;
  }

  cachedId(tenant: Tenant, key: string): number | undefined {
    const prefix = LabelIndex.cachePrefix(tenant);
    return this.seriesCache.get(prefix === '' ? key : prefix + key);
  }

  resolve(tenant: Tenant, labelSets: readonly Labels[], day: number): number[] {
    this.checkOpen();
    const tb = tenantBytes(tenant);
    const td = tenantDay(tb, day);
    const marks = this.dayMarksFor(tenant, day);
    const prefix = LabelIndex.cachePrefix(tenant);
    const ids = new Array<number>(labelSets.length);
    const missing: number[] = [];
    const unmarked: number[] = [];
    // With no cache (the database keeps its own by the decoder's key) no string key is built.
    const cacheKeys = this.cacheSeries ? labelSets.map((l) => prefix + labelsKey(l)) : null;
    for (let i = 0; i < labelSets.length; i++) {
      const id = cacheKeys ? this.seriesCache.get(cacheKeys[i]!) : undefined;
      if (id === undefined) missing.push(i);
      else {
        ids[i] = id;
        if (!marks.has(id)) unmarked.push(id);
      }
    }
    if (missing.length === 0 && unmarked.length === 0) return ids;

    // Validate everything before writing anything: one bad series fails the batch cleanly.
    const canon = missing.map((i) => canonicalLabels(labelSets[i]!));
    const startId = this.nextId;
    const created = new Map<number, Labels>();
    this.writes++;
    try {
      this.s.env.transactionSync(() => {
        // Postings are gathered per list and written once each, as packed blocks, at the end.
        const pending = new PendingLists();
        const postings = this.postingsWriter(tb, pending);
        const keys = new SeriesKeyEncoder();
        const newSets: Labels[] = [];
        for (let k = 0; k < missing.length; k++) {
          const sk = keys.key(tb, canon[k]!);
          const stored = this.s.series.getChecked(sk);
          let candidates: number[] = [];
          let id: number | undefined;
          if (stored !== undefined) {
            // Rare: the key is taken (this series, or a hash collision): compare the labels.
            const lb = keys.labelBytes();
            // A damaged entry is rebuilt from the postings of the set's labels: the series keeps its id.
            candidates = stored === DAMAGED ? this.findByPostings(tb, canon[k]!).filter((c) => this.hasLabels(c, tb, lb)) : decodeIdList(stored);
            for (const c of candidates) {
              const mine = created.get(c);
              if (mine !== undefined ? encodeLabels(mine).equals(lb) : this.hasLabels(c, tb, lb)) {
                id = c;
                break;
              }
            }
          }
          if (id === undefined) {
            id = this.nextId++;
            // Another id under this key is a hash collision: both stay listed.
            this.s.series.putSync(sk, encodeIdList([...candidates, id]));
            postings(canon[k]!, id);
            created.set(id, canon[k]!);
            newSets.push(canon[k]!);
          } else if (stored === DAMAGED) this.s.series.putSync(sk, encodeIdList(candidates)); // repaired
          ids[missing[k]!] = id;
          if (!marks.has(id)) unmarked.push(id);
        }
        if (this.nextId !== startId) {
          writeLabelSets(this.s.labels, tb, startId, newSets);
          this.s.meta.putSync(META_NEXT_ID, idBytes(this.nextId));
        }
        this.markDays(td, unmarked, created, pending);
        pending.flush();
      });
    } catch (e) {
      this.nextId = startId;
      this.lastBlock = undefined; // it may come from the aborted transaction
      throw e;
    }
    if (cacheKeys) for (let k = 0; k < missing.length; k++) this.seriesCache.set(cacheKeys[missing[k]!]!, ids[missing[k]!]!);
    for (const id of unmarked) marks.add(id);
    for (const [id, l] of created) this.labelsCache.set(id, l);
    return ids;
  }

  /** Ids whose all-time postings hold every label of `labels` (candidates for that exact set). */
  private findByPostings(tb: Buffer, labels: Labels): number[] {
    const plans = labels.map((l) => planMatcher({ name: l.name, type: '=', value: l.value }));
    return this.selectIn(this.scope(tb, -Infinity, Infinity), plans);
  }

  /** The label block holding series `id`, if any. */
  private labelBlock(id: number): LabelBlock | undefined {
    const b = this.lastBlock;
    if (b && id >= b.first && id < b.first + b.sets.length) return b;
    const read = readLabelBlock(this.s.labels, id);
    if (read) this.lastBlock = read;
    return read;
  }

  /** Whether series `id` belongs to tenant `tb` and has the canonical label bytes `lb`. */
  private hasLabels(id: number, tb: Buffer, lb: Buffer): boolean {
    const block = this.labelBlock(id);
    return block !== undefined && block.tenant.equals(tb) && encodeLabels(block.sets[id - block.first]!).equals(lb);
  }

  /** Adds a new series to the all-time postings of tenant `tb`: the all-series list and one list per label. */
  private postingsWriter(tb: Buffer, pending: PendingLists): (labels: Labels, id: number) => void {
    const all = pending.list(this.s.postings, allKey(tb));
    const lists = pending.labels(this.s.postings, labelPrefix(tb));
    return (labels, id) => {
      all.push(id);
      for (const l of labels) lists.add(l.name, l.value, id);
    };
  }

  /**
   * Within a write transaction: records `ids` on the day `td`, except those already there. Series
   * in `created` are new, so certainly not there yet; the others are checked against the day's list.
   */
  private markDays(td: Buffer, ids: readonly number[], created: ReadonlyMap<number, Labels>, pending: PendingLists): void {
    const daySeries = pending.list(this.s.daySeries, td);
    const lists = pending.labels(this.s.dayPostings, td);
    const mark = (id: number, labels: Labels): void => {
      daySeries.push(id);
      for (const l of labels) lists.add(l.name, l.value, id);
    };
    const known: number[] = [];
    for (const id of ids) {
      const labels = created.get(id);
      if (labels === undefined) known.push(id);
      else mark(id, labels);
    }
    if (known.length === 0) return;
    for (const id of missingFromList(this.s.daySeries, td, sortUnique(Float64Array.from(known)))) {
      const labels = this.labelsIfKnown(id);
      if (labels) mark(id, labels);
    }
  }

  private dayMarksFor(tenant: Tenant, day: number): Set<number> {
    const key = `${tenant.accountID}:${tenant.projectID}:${day}`;
    let s = this.dayMarks.get(key);
    if (!s) {
      s = new Set();
      this.dayMarks.set(key, s);
      // Keep the marks of the few most recent (tenant, day) pairs: ingestion writes to today,
      // sometimes yesterday; anything older is checked in LMDB.
      if (this.dayMarks.size > 4) {
        const oldest = this.dayMarks.keys().next().value;
        if (oldest !== undefined) this.dayMarks.delete(oldest);
      }
    }
    return s;
  }

  addToDay(tenant: Tenant, day: number, ids: ArrayLike<number>): void {
    this.checkOpen();
    const tb = tenantBytes(tenant);
    const td = tenantDay(tb, day);
    const marks = this.dayMarksFor(tenant, day);
    const todo: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!marks.has(id) && !this.deleted.has(id)) todo.push(id);
    }
    if (todo.length === 0) return;
    for (let i = 0; i < todo.length; i++) {
      const block = this.labelBlock(todo[i]!);
      if (block && block.tenant.equals(tb)) continue;
      // A series whose label block is damaged keeps its samples; its day postings wait for a rebuild.
      if (!block && this.s.damage.damaged) {
        todo.splice(i--, 1);
        continue;
      }
      throw new IndexError(`unknown series id ${todo[i]} for tenant ${tenant.accountID}:${tenant.projectID}`);
    }
    if (todo.length === 0) return;
    this.writes++;
    this.s.env.transactionSync(() => {
      const pending = new PendingLists();
      this.markDays(td, todo, new Map(), pending);
      pending.flush();
    });
    for (const id of todo) marks.add(id);
  }

  labelsOf(id: number): Labels {
    const labels = this.labelsIfKnown(id);
    if (!labels) throw new IndexError(`unknown series id ${id}`);
    return labels;
  }

  /**
   * The labels of series `id`, or undefined when it has none the index can serve (never created,
   * or its label block is damaged: then `damage` says so and queries warn).
   */
  labelsIfKnown(id: number): Labels | undefined {
    // Queries find most ids in the block cache; the per-id cache holds what ingestion just created.
    let block = this.labelBlocks.get(id);
    if (block) return block.sets[id - block.first]!;
    const cached = this.labelsCache.get(id);
    if (cached) return cached;
    if (!Number.isInteger(id) || id < 0 || id > 2 ** 53) throw new IndexError(`invalid series id ${id}`);
    // Committed blocks only reach here (ids created by a running transaction are in `created`),
    // so what the block cache keeps never comes from a transaction that may still abort.
    block = this.labelBlock(id);
    if (!block) return undefined;
    this.labelBlocks.put(block);
    return block.sets[id - block.first]!;
  }

  /** The tenant and labels of series `id`, or undefined as for labelsIfKnown. */
  seriesEntry(id: number): { tenant: Tenant; labels: Labels } | undefined {
    const labels = this.labelsIfKnown(id);
    if (!labels) return undefined;
    const block = this.labelBlock(id);
    return block ? { tenant: readTenant(block.tenant, 0), labels } : undefined;
  }

  /**
   * seriesEntry for many ascending ids in one pass over the label blocks, without touching the
   * labels cache (a flush asks for every series it writes, most of which no query wants). Ids the
   * index cannot serve are skipped, as seriesEntry leaves them undefined.
   */
  *seriesEntries(ids: ArrayLike<number>): Generator<{ id: number; tenant: Tenant; labels: Labels }> {
    this.checkOpen();
    let i = 0;
    for (const block of blocksHolding(this.s.labels, ids)) {
      const tenant = readTenant(block.tenant, 0);
      const end = block.first + block.sets.length;
      while (i < ids.length && ids[i]! < block.first) i++;
      for (; i < ids.length && ids[i]! < end; i++) yield { id: ids[i]!, tenant, labels: block.sets[ids[i]! - block.first]! };
    }
  }

  /** Every series with a readable label block, ascending by id (deleted ones included). */
  *everySeries(): Generator<{ id: number; tenant: Tenant; labels: Labels }> {
    this.checkOpen();
    for (const block of labelBlocks(this.s.labels)) {
      const tenant = readTenant(block.tenant, 0);
      for (let k = 0; k < block.sets.length; k++) yield { id: block.first + k, tenant, labels: block.sets[k]! };
    }
  }

  /**
   * Fills an empty index with series of known ids (ascending), as `strata index rebuild` does:
   * label blocks, label-set keys and all-time postings; `deleted` ones get a label block only and
   * stay deleted. Day postings are added afterwards with addToDay. The id counter ends past
   * `nextId` and every id given. `incomplete` (series whose labels were not found) is recorded in
   * `meta`, so queries keep warning.
   */
  restoreSeries(entries: readonly { id: number; tenant: Tenant; labels: Labels }[], deleted: ReadonlySet<number>, nextId: number, incomplete?: string): void {
    this.checkOpen();
    if (this.nextId !== 1) throw new IndexError('restoreSeries needs an empty index');
    const CHUNK = 10_000;
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk = entries.slice(i, i + CHUNK).map((e) => ({ ...e, tb: tenantBytes(e.tenant), labels: canonicalLabels(e.labels) }));
      this.writes++;
      this.s.env.transactionSync(() => {
        const pending = new PendingLists();
        for (let r = 0; r < chunk.length;) {
          let e = r + 1;
          while (e < chunk.length && chunk[e]!.id === chunk[e - 1]!.id + 1 && chunk[e]!.tb.equals(chunk[r]!.tb)) e++;
          writeLabelSets(
            this.s.labels,
            chunk[r]!.tb,
            chunk[r]!.id,
            chunk.slice(r, e).map((x) => x.labels),
          );
          r = e;
        }
        for (const x of chunk) {
          if (deleted.has(x.id)) continue;
          const sk = seriesKey(x.tb, encodeLabels(x.labels));
          const had = this.s.series.getBinary(sk);
          this.s.series.putSync(sk, encodeIdList(had ? [...decodeIdList(had), x.id] : [x.id]));
          this.postingsWriter(x.tb, pending)(x.labels, x.id);
        }
        pending.flush();
      });
    }
    const last = entries.length > 0 ? entries[entries.length - 1]!.id : 0;
    this.nextId = Math.max(nextId, last + 1, 1);
    this.s.env.transactionSync(() => {
      for (const id of deleted) this.s.deleted.putSync(idBytes(id), EMPTY);
      this.s.meta.putSync(META_NEXT_ID, idBytes(this.nextId));
      if (incomplete) this.s.meta.putSync(META_INCOMPLETE, Buffer.from(incomplete));
    });
    for (const id of deleted) this.deleted.add(id);
    this.lastBlock = undefined;
    this.labelsCache.clear();
    this.labelBlocks.clear();
    this.seriesCache.clear();
    if (incomplete) this.s.damage.setIncomplete(incomplete);
  }

  /** The tenant owning a series id. */
  tenantOf(id: number): Tenant {
    if (!Number.isInteger(id) || id < 0 || id > 2 ** 53) throw new IndexError(`invalid series id ${id}`);
    const block = this.labelBlock(id);
    if (!block) throw new IndexError(`unknown series id ${id}`);
    return readTenant(block.tenant, 0);
  }

  // ---- queries ----

  private scope(tb: Buffer, minT: number, maxT: number): Scope {
    if (Number.isNaN(minT) || Number.isNaN(maxT)) throw new IndexError('invalid time range: NaN');
    const first = dayOf(Math.max(minT, 0));
    const last = dayOf(maxT);
    if (Number.isFinite(minT) && Number.isFinite(maxT) && minT >= 0 && last >= first && last - first + 1 <= MAX_DAYS_FOR_DAY_POSTINGS) {
      const keys: Buffer[] = [];
      for (let d = first; d <= last; d++) keys.push(tenantDay(tb, d));
      return { db: this.s.dayPostings, labelPrefixes: keys, allDb: this.s.daySeries, allKeys: keys };
    }
    if (maxT < minT || maxT < 0) return { db: this.s.dayPostings, labelPrefixes: [], allDb: this.s.daySeries, allKeys: [] };
    return { db: this.s.postings, labelPrefixes: [labelPrefix(tb)], allDb: this.s.postings, allKeys: [allKey(tb)] };
  }

  private allSeries(scope: Scope): number[] {
    const c = new IdCollector();
    const push = (id: number): void => c.push(id);
    for (const key of scope.allKeys) readList(scope.allDb, key, push);
    return c.finish();
  }

  /** Ids of series in scope whose label `name` has one of the values in `set`. */
  private postingsFor(scope: Scope, name: string, set: ValueSet): number[] {
    if (set.kind === 'none') return [];
    const c = new IdCollector();
    const push = (id: number): void => c.push(id);
    for (const p of scope.labelPrefixes) {
      if (set.kind === 'exact') {
        for (const v of set.values) readList(scope.db, labelKey(p, name, v), push);
        continue;
      }
      const start = set.kind === 'prefix' ? labelValuePrefix(p, name, set.prefix) : labelNamePrefix(p, name);
      const valueAt = labelNamePrefix(p, name).length;
      const test = set.test;
      // A value's blocks are adjacent: test each value once, on its first block.
      let lastValue: Buffer | undefined;
      let pass = false;
      for (const { key, value } of scope.db.getRange({ start, end: prefixEnd(start) })) {
        const end = valueEnd(key, valueAt);
        if (lastValue === undefined || key.compare(lastValue, 0, lastValue.length, valueAt, end) !== 0) {
          lastValue = key.subarray(valueAt, end);
          pass = !test || test(readValue(key, valueAt, end));
        }
        if (pass) decodeEntry(key, value, end + 1, push);
      }
    }
    return c.finish();
  }

  /** Ids a value set yields: counted for point lookups (cheap in LMDB), unknown (∞) for scans. */
  private estimate(scope: Scope, name: string, set: ValueSet): number {
    if (set.kind === 'none') return 0;
    if (set.kind !== 'exact' || set.values.length * scope.labelPrefixes.length > 64) return Infinity;
    let n = 0;
    for (const p of scope.labelPrefixes) for (const v of set.values) n += listCount(scope.db, labelKey(p, name, v));
    return n;
  }

  /**
   * With `n` candidates left, is checking a matcher on each candidate's labels cheaper than
   * reading its postings? Reading an id from postings costs about a tenth of reading a label set.
   */
  private preferLabels(n: number, estimate: number): boolean {
    const below = this.filterByLabelsBelow;
    if (below <= 0) return false;
    if (n < below) return true;
    return estimate === Infinity ? n < below * 25 : estimate > n * 8;
  }

  private selectIn(scope: Scope, plans: readonly MatcherPlan[]): number[] {
    if (plans.some((p) => p.mode === 'include' && p.values.kind === 'none')) return [];
    const est = new Map<MatcherPlan, number>();
    for (const p of plans) est.set(p, this.estimate(scope, p.matcher.name, p.values));
    // Smallest first; among unknown sizes, prefix scans before full scans, untested before tested.
    const rank = (p: MatcherPlan): number => (p.values.kind === 'prefix' ? 1 : p.values.kind === 'every' && p.values.test ? 3 : 2);
    const order = (a: MatcherPlan, b: MatcherPlan): number => {
      const ea = est.get(a)!;
      const eb = est.get(b)!;
      return ea !== eb ? (ea < eb ? -1 : 1) : rank(a) - rank(b);
    };
    const includes = plans.filter((p) => p.mode === 'include').sort(order);
    const excludes = plans.filter((p) => p.mode === 'exclude' && p.values.kind !== 'none').sort(order);
    let ids: number[] | undefined;
    const pending: MatcherPlan[] = [];
    for (const p of includes) {
      if (ids !== undefined && this.preferLabels(ids.length, est.get(p)!)) {
        pending.push(p);
        continue;
      }
      const s = this.postingsFor(scope, p.matcher.name, p.values);
      ids = ids === undefined ? s : intersect(ids, s);
      if (ids.length === 0) return ids;
    }
    ids ??= this.allSeries(scope);
    for (const p of excludes) {
      if (ids.length === 0) return ids;
      if (this.preferLabels(ids.length, est.get(p)!)) pending.push(p);
      else ids = subtract(ids, this.postingsFor(scope, p.matcher.name, p.values));
    }
    if (this.deleted.size > 0) ids = ids.filter((id) => !this.deleted.has(id));
    if (pending.length > 0) {
      ids = ids.filter((id) => {
        const labels = this.labelsIfKnown(id);
        return labels !== undefined && pending.every((p) => p.test(valueOf(labels, p.matcher.name)));
      });
    }
    return ids;
  }

  select(tenant: Tenant, matchers: readonly LabelMatcher[], minT: number, maxT: number, limit?: number): number[] {
    this.checkOpen();
    const plans = matchers.map(planMatcher);
    const ids = this.selectIn(this.scope(tenantBytes(tenant), minT, maxT), plans);
    return limit !== undefined && limit > 0 && ids.length > limit ? ids.slice(0, limit) : ids;
  }

  /**
   * Union of `select` over several matcher lists (several `match[]`); undefined for "no filter",
   * i.e. no lists or an empty list (which matches every series).
   */
  private selectAny(lists: readonly (readonly LabelMatcher[])[], scope: Scope): number[] | undefined {
    const planned = lists.map((l) => l.map(planMatcher)); // every regex is checked before any work
    if (planned.length === 0 || planned.some((l) => l.length === 0)) return undefined;
    let ids: number[] = [];
    for (const plans of planned) ids = union(ids, this.selectIn(scope, plans));
    return ids;
  }

  labelNames(tenant: Tenant, matchers: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): string[] {
    this.checkOpen();
    const tb = tenantBytes(tenant);
    const scope = this.scope(tb, minT, maxT);
    const ids = this.selectAny(matchers, scope);
    const names = new Set<string>();
    if (ids === undefined) {
      for (const p of scope.labelPrefixes) this.scanNames(scope.db, p, names);
    } else {
      for (const id of ids) for (const l of this.labelsIfKnown(id) ?? []) names.add(l.name);
    }
    return limitSorted([...names], limit);
  }

  /** Distinct label names under a postings prefix, jumping over each name's values. */
  private scanNames(db: BinDb, prefix: Buffer, out: Set<string>): void {
    const end = prefixEnd(prefix);
    let start: Buffer = prefix;
    for (;;) {
      let key: Buffer | undefined;
      for (const k of db.getKeys({ start, end, limit: 1 })) key = k;
      if (!key) return;
      const nul = key.indexOf(0, prefix.length);
      const name = key.toString('utf8', prefix.length, nul);
      out.add(name);
      start = Buffer.concat([key.subarray(0, nul), Buffer.from([1])]);
    }
  }

  labelValues(tenant: Tenant, name: string, matchers: readonly (readonly LabelMatcher[])[], minT: number, maxT: number, limit?: number): string[] {
    this.checkOpen();
    const tb = tenantBytes(tenant);
    const scope = this.scope(tb, minT, maxT);
    const ids = this.selectAny(matchers, scope);
    const values = new Set<string>();
    if (ids === undefined) {
      // Keys come in byte order, so with a limit the first `limit` keys of each day are enough.
      const max = limit !== undefined && limit > 0 ? limit : undefined;
      for (const p of scope.labelPrefixes) {
        const start = labelNamePrefix(p, name);
        let taken = 0;
        let lastValue: Buffer | undefined;
        for (const key of scope.db.getKeys({ start, end: prefixEnd(start) })) {
          const end = valueEnd(key, start.length);
          if (lastValue !== undefined && key.compare(lastValue, 0, lastValue.length, start.length, end) === 0) continue;
          if (max !== undefined && taken >= max) break;
          lastValue = key.subarray(start.length, end);
          values.add(readValue(key, start.length, end));
          taken++;
        }
      }
    } else {
      for (const id of ids) {
        const v = valueOf(this.labelsIfKnown(id) ?? [], name);
        if (v !== '') values.add(v);
      }
    }
    // One LMDB key range yields its values in byte order already: no need to sort a million strings.
    return limitSorted([...values], limit, ids === undefined && scope.labelPrefixes.length === 1);
  }

  tsdbStatus(tenant: Tenant, opts: TsdbStatusOptions = {}): TsdbStatus {
    this.checkOpen();
    const tb = tenantBytes(tenant);
    const topN = opts.topN ?? 10;
    if (!Number.isInteger(topN) || topN < 0) throw new IndexError(`invalid topN ${topN}: want a non-negative integer`);
    const scope = opts.date === undefined ? this.scope(tb, -Infinity, Infinity) : this.scope(tb, dayStart(opts.date), dayStart(opts.date + 1) - 1);
    const acc = new StatusAccumulator(opts.focusLabel);
    const ids = this.selectAny(opts.matchers ?? [], scope);
    if (ids !== undefined) {
      for (const id of ids) for (const l of this.labelsIfKnown(id) ?? []) acc.add(l.name, l.value, 1);
      return buildTsdbStatus(acc, topN);
    }
    const pairs = new TopCollector(topN);
    for (const p of scope.labelPrefixes) scanPostingsStatus(scope.db, p, acc, pairs);
    return buildTsdbStatus(acc, topN, pairs);
  }

  // ---- deletion ----

  deleteSeries(tenant: Tenant, matchers: readonly LabelMatcher[]): number[] {
    this.checkOpen();
    if (matchers.length === 0) throw new IndexError('deleteSeries needs at least one matcher');
    const ids = this.select(tenant, matchers, -Infinity, Infinity);
    if (ids.length > 0) this.deleteIds(tenant, ids);
    return ids;
  }

  /**
   * Removes series of every tenant by id (those whose samples are all gone): grouped by tenant,
   * one transaction each. Unknown or already deleted ids are skipped.
   */
  deleteByIds(ids: readonly number[]): number {
    this.checkOpen();
    const byTenant = new Map<string, { tenant: Tenant; ids: number[] }>();
    for (const id of ids) {
      if (this.deleted.has(id) || !this.labelBlock(id)) continue;
      const tenant = this.tenantOf(id);
      const key = `${tenant.accountID}:${tenant.projectID}`;
      let g = byTenant.get(key);
      if (!g) byTenant.set(key, (g = { tenant, ids: [] }));
      g.ids.push(id);
    }
    let n = 0;
    for (const g of byTenant.values()) {
      this.deleteIds(g.tenant, g.ids);
      n += g.ids.length;
    }
    return n;
  }

  private deleteIds(tenant: Tenant, ids: readonly number[]): void {
    const tb = tenantBytes(tenant);
    const lp = labelPrefix(tb);
    const dayKeys = this.daysOf(tb);
    this.writes++;
    this.s.env.transactionSync(() => {
      // Gathered per list, then each affected block is rewritten once.
      const gone = new PendingLists(removeFromList);
      for (const id of ids) {
        const labels = this.labelsOf(id);
        const sk = seriesKey(tb, encodeLabels(labels));
        const rest = decodeIdList(this.s.series.getBinary(sk) ?? EMPTY).filter((other) => other !== id);
        if (rest.length > 0) this.s.series.putSync(sk, encodeIdList(rest));
        else this.s.series.removeSync(sk);
        gone.add(this.s.postings, allKey(tb), id);
        for (const l of labels) gone.add(this.s.postings, labelKey(lp, l.name, l.value), id);
        for (const td of dayKeys) {
          if (!listHas(this.s.daySeries, td, id)) continue;
          gone.add(this.s.daySeries, td, id);
          for (const l of labels) gone.add(this.s.dayPostings, labelKey(td, l.name, l.value), id);
        }
        this.s.deleted.putSync(idBytes(id), EMPTY);
      }
      gone.flush();
    });
    for (const id of ids) this.deleted.add(id);
    // The ingestion cache maps label sets to ids; a deleted series must get a new id if it returns.
    this.seriesCache.clear();
    for (const marks of this.dayMarks.values()) for (const id of ids) marks.delete(id);
  }

  /** The tenant+day list keys of every day with series, jumping from one day to the next. */
  private daysOf(tb: Buffer): Buffer[] {
    const days: Buffer[] = [];
    const end = prefixEnd(tb);
    let start = tb;
    for (;;) {
      let key: Buffer | undefined;
      for (const k of this.s.daySeries.getKeys({ start, end, limit: 1 })) key = k;
      if (!key) return days;
      const td = Buffer.from(key.subarray(0, TENANT_BYTES + DAY_BYTES));
      days.push(td);
      start = listEnd(td);
    }
  }

  deletedIds(): ReadonlySet<number> {
    return this.deleted;
  }

  /** Bytes (estimated) the cache of decoded label blocks holds. */
  get labelBlockCacheBytes(): number {
    return this.labelBlocks.bytes;
  }

  /**
   * Live (not deleted) series, of one tenant or of all. O(1) without a tenant: ids are handed out
   * contiguously from 1 and only by committed transactions, so nextId - 1 series were ever created.
   */
  seriesCount(tenant?: Tenant): number {
    this.checkOpen();
    if (tenant) return listCount(this.s.postings, allKey(tenantBytes(tenant)));
    return this.nextId - 1 - this.deleted.size;
  }

  /**
   * Cross-checks the databases (for `strata verify` and crash tests); returns the problems found,
   * empty when the index is consistent.
   */
  checkConsistency(maxProblems = 100): string[] {
    this.checkOpen();
    return checkConsistency(this.s, this.deleted, this.nextId, maxProblems);
  }

  /**
   * Writes a consistent copy of the index into `dir` (created if missing; must be empty) while the
   * index stays in use. LMDB rewrites its data file in place, so a hard link is not a snapshot:
   * backups must copy through here. `compact` drops free pages (slower, smaller).
   */
  backup(dir: string, compact = false): Promise<void> {
    this.checkOpen();
    return this.serially(async () => {
      this.checkOpen();
      mkdirSync(dir, { recursive: true });
      await this.s.env.backup(dir, compact);
    });
  }

  /**
   * Rewrites the index file without its free pages and with full B-tree pages (see
   * compaction.ts), while the index stays in use: the copy is built a chunk at a time between
   * other work and started over if a write came in meanwhile; the swap itself — close, rename,
   * reopen — runs without yielding, so no call ever meets a closed environment and no write is
   * lost. After two interrupted attempts the third copies in one go (blocking other work for
   * about 3 s a million series) unless `mustFinish` is false; then it gives up. Resolves to
   * whether the file was replaced. Meant for the end of a force merge, as VictoriaMetrics
   * compacts its indexdb then.
   */
  compact(opts: CompactOptions = {}): Promise<boolean> {
    const chunkEntries = opts.chunkEntries ?? COMPACT_CHUNK_ENTRIES;
    const mustFinish = opts.mustFinish ?? true;
    if (!Number.isInteger(chunkEntries) || chunkEntries < 1) throw new IndexError(`invalid chunk size ${chunkEntries}: want a positive integer`);
    this.checkOpen();
    return this.serially(async () => {
      const copyDir = join(this.dir, COMPACT_DIR);
      try {
        for (let attempt = 0; ; attempt++) {
          if (this.closed) return false;
          if (attempt >= 2 && !mustFinish) return false;
          const writesBefore = this.writes;
          const inOneGo = attempt >= 2;
          const copied = await buildCompactCopy(this.s.env, copyDir, chunkEntries, !inOneGo, () => this.closed || this.writes !== writesBefore);
          if (this.closed) return false;
          if (copied && this.writes === writesBefore) break;
        }
        // From here to the reopen nothing yields.
        const { closedNow, done } = closeEnvNow(this.s.env);
        if (!closedNow) {
          // Not expected (every access is synchronous); calls fail cleanly until the reopen.
          this.swapping = true;
          try {
            await done;
          } finally {
            this.swapping = false;
          }
        }
        try {
          installCompactCopy(this.dir, copyDir);
        } finally {
          // The compacted file if the rename happened, else the untouched live one.
          this.s = openStores(this.dir, this.s.damage);
          this.lastBlock = undefined;
        }
        if (this.closed) void this.s.env.close();
        return true;
      } finally {
        removeCompactLeftovers(this.dir);
      }
    });
  }

  /**
   * compact() when free pages make up at least `minFreeFraction` of the file and `minFreeBytes`
   * in all, never blocking (mustFinish false): a policy to run on an idle timer. Resolves to
   * whether it compacted.
   */
  async compactIfWasteful(minFreeFraction = 0.5, minFreeBytes = 16 << 20): Promise<boolean> {
    const { fileBytes, usedBytes } = this.spaceStats();
    const free = fileBytes - usedBytes;
    if (free < minFreeBytes || free < fileBytes * minFreeFraction) return false;
    return this.compact({ mustFinish: false });
  }

  /**
   * The index file's size and the bytes its B-trees occupy (pages in use, whatever their fill):
   * the rest is free pages that only compact() gives back. Cheap (LMDB keeps the counts).
   */
  spaceStats(): { fileBytes: number; usedBytes: number } {
    this.checkOpen();
    const env = this.s.env.getStats() as LmdbStats & { free?: LmdbStats };
    const pagesOf = (st: LmdbStats | undefined): number => (st ? st.treeBranchPageCount + st.treeLeafPageCount + st.overflowPages : 0);
    // Two meta pages, the main database (it names the others), the free list, then each database.
    let pages = 2 + pagesOf(env) + pagesOf(env.free);
    for (const db of [this.s.series, this.s.labels, this.s.postings, this.s.dayPostings, this.s.daySeries, this.s.deleted, this.s.meta]) {
      pages += pagesOf(db.getStats() as LmdbStats);
    }
    return { fileBytes: statSync(join(this.dir, 'data.mdb')).size, usedBytes: pages * env.pageSize };
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(work);
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  /** The id the next new series will get (ids below it were assigned once, never again). */
  peekNextId(): number {
    return this.nextId;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.s.env.close();
  }
}

/**
 * Indexes written before the series keys were shortened (tenant + 16 hash bytes → one 8-byte id)
 * get their `series` database rebuilt from the label blocks, once, on open.
 */
function rekeySeriesIfOld(s: Stores, deleted: ReadonlySet<number>): void {
  let old = false;
  for (const key of s.series.getKeys({ limit: 1 })) old = key.length !== SERIES_KEY_BYTES;
  if (!old) return;
  s.env.transactionSync(() => {
    s.series.clearSync();
    for (const block of labelBlocks(s.labels)) {
      for (let k = 0; k < block.sets.length; k++) {
        const id = block.first + k;
        if (deleted.has(id)) continue;
        const sk = seriesKey(block.tenant, encodeLabels(block.sets[k]!));
        const others = s.series.getBinary(sk);
        s.series.putSync(sk, encodeIdList(others ? [...decodeIdList(others), id] : [id]));
      }
    }
  });
}

/** The list key of every series of a tenant, for all time. */
function allKey(tb: Buffer): Buffer {
  return Buffer.concat([tb, Buffer.from([POSTINGS_ALL])]);
}

/** The prefix of a tenant's all-time label postings lists. */
function labelPrefix(tb: Buffer): Buffer {
  return Buffer.concat([tb, Buffer.from([POSTINGS_LABEL])]);
}

function valueOf(labels: Labels, name: string): string {
  for (const l of labels as readonly Label[]) if (l.name === name) return l.value;
  return '';
}

function limitSorted(values: string[], limit: number | undefined, alreadySorted = false): string[] {
  if (!alreadySorted) sortUtf8(values);
  return limit !== undefined && limit > 0 && values.length > limit ? values.slice(0, limit) : values;
}

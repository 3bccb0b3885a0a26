/**
 * Exemplars of every tenant: a bounded ring per tenant (--maxExemplars each, as Prometheus's
 * circular exemplar storage; 0 turns storage off) kept across restarts by an append log.
 * Queries scan the tenant's ring: it is small and bounded, so no index is kept beside it.
 */
import { compileMatcher } from '../index/index.js';
import type { ExemplarRow } from '../ingest/index.js';
import { labelsFromKey } from '../ingest/index.js';
import { compareLabels, getLabel, type LabelMatcher, type Labels, type Tenant } from '../model/index.js';
import { ExemplarLog, type LoggedExemplar } from './exemplar-log.js';
import { ExemplarRing, type AddResult, type StoredExemplar } from './ring.js';

export interface ExemplarAddStats {
  readonly stored: number;
  readonly duplicate: number;
  readonly outOfOrder: number;
}

export interface SeriesExemplars {
  readonly seriesLabels: Labels;
  readonly exemplars: readonly StoredExemplar[];
}

function tenantKey(t: Tenant): string {
  return `${t.accountID}:${t.projectID}`;
}

export class ExemplarStore {
  private readonly rings = new Map<string, { tenant: Tenant; ring: ExemplarRing }>();
  private log: ExemplarLog | null = null;

  private constructor(readonly maxExemplars: number) {}

  /** Opens the store whose log lives in `dir` (created when missing) and replays it. */
  static open(dir: string, maxExemplars: number): ExemplarStore {
    const store = new ExemplarStore(maxExemplars);
    const log = ExemplarLog.open(dir, (r) => {
      if (maxExemplars > 0) store.ringOf(r.tenant).add(r.exemplar);
    });
    store.log = log;
    // A smaller --maxExemplars than the log was written with: shrink the log now.
    if (log.records > 2 * store.total() + 1024) log.rewrite(store.everything());
    return store;
  }

  private ringOf(tenant: Tenant): ExemplarRing {
    const k = tenantKey(tenant);
    let r = this.rings.get(k);
    if (!r) {
      r = { tenant, ring: new ExemplarRing(this.maxExemplars) };
      this.rings.set(k, r);
    }
    return r.ring;
  }

  private total(): number {
    let n = 0;
    for (const r of this.rings.values()) n += r.ring.size;
    return n;
  }

  private *everything(): Generator<LoggedExemplar> {
    for (const { tenant, ring } of this.rings.values()) for (const exemplar of ring.all()) yield { tenant, exemplar };
  }

  /** Stores a request's exemplars (in their order) and logs the ones kept. */
  add(tenant: Tenant, rows: readonly ExemplarRow[]): ExemplarAddStats {
    if (rows.length === 0 || this.maxExemplars === 0) return { stored: 0, duplicate: 0, outOfOrder: 0 };
    const ring = this.ringOf(tenant);
    const kept: LoggedExemplar[] = [];
    let duplicate = 0;
    let outOfOrder = 0;
    for (const row of rows) {
      const e: StoredExemplar = { series: row.series, labels: row.labels, value: row.value, timestamp: row.timestamp };
      const res: AddResult = ring.add(e);
      if (res === 'stored') kept.push({ tenant, exemplar: e });
      else if (res === 'duplicate') duplicate++;
      else outOfOrder++;
    }
    const log = this.log!;
    log.append(kept);
    if (log.records > 2 * this.total() + 1024) log.rewrite(this.everything());
    return { stored: kept.length, duplicate, outOfOrder };
  }

  /**
   * Exemplars in [minT, maxT] of the series matching any of the matcher sets, grouped by series
   * (sorted by labels), each series' exemplars oldest first.
   */
  select(tenant: Tenant, matcherSets: readonly (readonly LabelMatcher[])[], minT: number, maxT: number): SeriesExemplars[] {
    const r = this.rings.get(tenantKey(tenant));
    if (!r || matcherSets.length === 0) return [];
    const sets = matcherSets.map((ms) => ms.map((m) => ({ name: m.name, test: compileMatcher(m) })));
    const wanted = new Map<string, { labels: Labels; exemplars: StoredExemplar[] }>();
    for (const key of r.ring.seriesKeys()) {
      const labels = labelsFromKey(key);
      if (sets.some((set) => set.every((m) => m.test(getLabel(labels, m.name))))) wanted.set(key, { labels, exemplars: [] });
    }
    if (wanted.size === 0) return [];
    for (const e of r.ring.all()) {
      if (e.timestamp < minT || e.timestamp > maxT) continue;
      wanted.get(e.series)?.exemplars.push(e);
    }
    const out: SeriesExemplars[] = [];
    for (const w of wanted.values()) if (w.exemplars.length > 0) out.push({ seriesLabels: w.labels, exemplars: w.exemplars });
    return out.sort((a, b) => compareLabels(a.seriesLabels, b.seriesLabels));
  }

  close(): void {
    this.log?.close();
    this.log = null;
  }
}

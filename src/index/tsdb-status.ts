import { prefixEnd, readValue, valueEnd } from './keys.js';
import { entryCount } from './posting-lists.js';
import type { BinDb } from './stores.js';

/** One row of a cardinality list, as VictoriaMetrics renders it: `{"name": ..., "value": count}`. */
export interface TopEntry {
  readonly name: string;
  readonly value: number;
}

/**
 * `/api/v1/status/tsdb` data with VictoriaMetrics's field names. Counts are series counts except
 * `labelValueCountByLabelName` (distinct values per name); `totalLabelValuePairs` sums, over all
 * series, their number of labels (as VictoriaMetrics computes it).
 */
export interface TsdbStatus {
  totalSeries: number;
  totalLabelValuePairs: number;
  seriesCountByMetricName: TopEntry[];
  seriesCountByLabelName: TopEntry[];
  seriesCountByFocusLabelValue: TopEntry[];
  seriesCountByLabelValuePair: TopEntry[];
  labelValueCountByLabelName: TopEntry[];
}

/** Collects (name, value, series count) triples, in any order, for a TsdbStatus. */
export class StatusAccumulator {
  readonly metricNames = new Map<string, number>();
  readonly labelSeries = new Map<string, number>();
  readonly labelValues = new Map<string, number>();
  readonly focusValues = new Map<string, number>();
  readonly pairs = new Map<string, number>();
  totalSeries = 0;
  totalPairs = 0;

  constructor(private readonly focusLabel: string | undefined) {}

  /** Whether addName needs the per-value counts of this label name. */
  wantsValuesOf(name: string): boolean {
    return name === '__name__' || name === this.focusLabel;
  }

  /**
   * Adds the counts of one label name scanned from postings, where each (name, value) comes once:
   * `values` holds only the values the per-value lists need (__name__, the focus label).
   */
  addName(name: string, distinctValues: number, series: number, values: ReadonlyMap<string, number> | undefined): void {
    this.labelValues.set(name, (this.labelValues.get(name) ?? 0) + distinctValues);
    this.labelSeries.set(name, (this.labelSeries.get(name) ?? 0) + series);
    this.totalPairs += series;
    if (!values) return;
    if (name === '__name__') {
      for (const [v, c] of values) {
        this.totalSeries += c;
        this.metricNames.set(v, (this.metricNames.get(v) ?? 0) + c);
      }
    }
    if (name === this.focusLabel) for (const [v, c] of values) this.focusValues.set(v, (this.focusValues.get(v) ?? 0) + c);
  }

  add(name: string, value: string, count: number): void {
    if (count <= 0) return;
    const pair = `${name}=${value}`;
    const before = this.pairs.get(pair);
    if (before === undefined) this.labelValues.set(name, (this.labelValues.get(name) ?? 0) + 1);
    this.pairs.set(pair, (before ?? 0) + count);
    this.labelSeries.set(name, (this.labelSeries.get(name) ?? 0) + count);
    this.totalPairs += count;
    if (name === '__name__') {
      this.totalSeries += count;
      this.metricNames.set(value, (this.metricNames.get(value) ?? 0) + count);
    }
    if (name === this.focusLabel) this.focusValues.set(value, (this.focusValues.get(value) ?? 0) + count);
  }
}

/** The `n` largest entries, count descending then name ascending (VictoriaMetrics's order). */
export function topN(counts: Map<string, number>, n: number): TopEntry[] {
  const entries: TopEntry[] = [];
  for (const [name, value] of counts) entries.push({ name, value });
  entries.sort(byCountThenName);
  return entries.slice(0, n);
}

export function buildTsdbStatus(acc: StatusAccumulator, n: number, pairs?: TopCollector): TsdbStatus {
  return {
    totalSeries: acc.totalSeries,
    totalLabelValuePairs: acc.totalPairs,
    seriesCountByMetricName: topN(acc.metricNames, n),
    seriesCountByLabelName: topN(acc.labelSeries, n),
    seriesCountByFocusLabelValue: topN(acc.focusValues, n),
    seriesCountByLabelValuePair: pairs ? pairs.result() : topN(acc.pairs, n),
    labelValueCountByLabelName: topN(acc.labelValues, n),
  };
}

const byCountThenName = (a: TopEntry, b: TopEntry): number => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Keeps the top n of a long stream of (name, count) without holding the stream: callers ask
 * `wants(count)` first and only build the name string of entries that can still make the cut.
 */
export class TopCollector {
  private items: TopEntry[] = [];
  private threshold = 1;

  constructor(private readonly n: number) {}

  wants(count: number): boolean {
    return this.n > 0 && count >= this.threshold;
  }

  push(name: string, value: number): void {
    this.items.push({ name, value });
    if (this.items.length >= this.n * 4 + 16) this.prune();
  }

  private prune(): void {
    this.items.sort(byCountThenName);
    if (this.items.length >= this.n) {
      this.items.length = this.n;
      this.threshold = this.items[this.n - 1]!.value; // ties may still win on name
    }
  }

  result(): TopEntry[] {
    this.prune();
    return this.items.slice(0, this.n);
  }
}

/**
 * One scan over the postings blocks under `prefix` (name-major, so each name's values, and each
 * value's blocks, are contiguous), counting from block headers; value strings are decoded only
 * where a list uses them.
 */
export function scanPostingsStatus(db: BinDb, prefix: Buffer, acc: StatusAccumulator, pairs: TopCollector): void {
  let name: string | undefined;
  let nameBytes = Buffer.alloc(0);
  let distinct = 0;
  let series = 0;
  let values: Map<string, number> | undefined;
  // The (name, value) list being counted: its first block key, where its value ends, its count.
  let listKey: Buffer | undefined;
  let listValueAt = 0;
  let listValueEnd = 0;
  let count = 0;
  const flushValue = (): void => {
    if (listKey === undefined) return;
    distinct++;
    series += count;
    if (values || pairs.wants(count)) {
      const value = readValue(listKey, listValueAt, listValueEnd);
      values?.set(value, count);
      if (pairs.wants(count)) pairs.push(`${name}=${value}`, count);
    }
    listKey = undefined;
  };
  const flushName = (): void => {
    flushValue();
    if (name !== undefined) acc.addName(name, distinct, series, values);
  };
  for (const { key, value } of db.getRange({ start: prefix, end: prefixEnd(prefix) })) {
    const nul = key.indexOf(0, prefix.length);
    const end = valueEnd(key, nul + 1);
    if (listKey !== undefined && end === listValueEnd && key.compare(listKey, 0, end, 0, end) === 0) {
      count += entryCount(key, value, end + 1);
      continue;
    }
    if (nul - prefix.length !== nameBytes.length || key.compare(nameBytes, 0, nameBytes.length, prefix.length, nul) !== 0) {
      flushName();
      nameBytes = Buffer.from(key.subarray(prefix.length, nul));
      name = nameBytes.toString('utf8');
      distinct = 0;
      series = 0;
      values = acc.wantsValuesOf(name) ? new Map() : undefined;
    } else flushValue();
    listKey = key;
    listValueAt = nul + 1;
    listValueEnd = end;
    count = entryCount(key, value, end + 1);
  }
  flushName();
}

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
  entries.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries.slice(0, n);
}

export function buildTsdbStatus(acc: StatusAccumulator, n: number): TsdbStatus {
  return {
    totalSeries: acc.totalSeries,
    totalLabelValuePairs: acc.totalPairs,
    seriesCountByMetricName: topN(acc.metricNames, n),
    seriesCountByLabelName: topN(acc.labelSeries, n),
    seriesCountByFocusLabelValue: topN(acc.focusValues, n),
    seriesCountByLabelValuePair: topN(acc.pairs, n),
    labelValueCountByLabelName: topN(acc.labelValues, n),
  };
}

/**
 * Running and finished queries, for `/api/v1/status/active_queries` and `top_queries` in the
 * VictoriaMetrics shape. Finished queries are aggregated by text in a bounded map.
 */
interface Active {
  readonly id: number;
  readonly query: string;
  readonly args: Readonly<Record<string, number>>;
  readonly startedAt: number;
}

interface Totals {
  count: number;
  sumMs: number;
  maxMs: number;
}

const MAX_TRACKED = 1000;

export class QueryTracker {
  private nextId = 1;
  private readonly running = new Map<number, Active>();
  private readonly totals = new Map<string, Totals>();

  async track<T>(query: string, args: Readonly<Record<string, number>>, fn: () => Promise<T>): Promise<T> {
    const id = this.nextId++;
    const startedAt = Date.now();
    this.running.set(id, { id, query, args, startedAt });
    try {
      return await fn();
    } finally {
      this.running.delete(id);
      const ms = Date.now() - startedAt;
      let t = this.totals.get(query);
      if (!t) {
        if (this.totals.size >= MAX_TRACKED) this.totals.delete(this.totals.keys().next().value!);
        this.totals.set(query, (t = { count: 0, sumMs: 0, maxMs: 0 }));
      }
      t.count++;
      t.sumMs += ms;
      t.maxMs = Math.max(t.maxMs, ms);
    }
  }

  active(): Array<Record<string, string | number>> {
    const now = Date.now();
    return [...this.running.values()].map((a) => ({ id: a.id, query: a.query, duration: `${((now - a.startedAt) / 1000).toFixed(3)}s`, ...a.args }));
  }

  top(n: number): Record<string, Array<Record<string, string | number>>> {
    const rows = [...this.totals.entries()].map(([query, t]) => ({
      query,
      count: t.count,
      avgDurationSeconds: t.sumMs / t.count / 1000,
      sumDurationSeconds: t.sumMs / 1000,
      maxDurationSeconds: t.maxMs / 1000,
    }));
    const by = (k: 'count' | 'avgDurationSeconds' | 'sumDurationSeconds') => [...rows].sort((a, b) => b[k] - a[k]).slice(0, n);
    return { topByCount: by('count'), topByAvgDuration: by('avgDurationSeconds'), topBySumDuration: by('sumDurationSeconds') };
  }
}

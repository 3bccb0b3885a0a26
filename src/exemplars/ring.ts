/**
 * One tenant's exemplars: a circular buffer of fixed capacity, as Prometheus's circular exemplar
 * storage is. A new exemplar overwrites the oldest one of the tenant, whichever series it is of.
 * Per series the newest exemplar is kept to refuse duplicates and out-of-order ones as
 * Prometheus does (remote-write senders resend; an exemplar older than its series' newest is
 * refused, one at the same time with another value or labels is kept).
 */
import type { Labels } from '../model/index.js';

export interface StoredExemplar {
  /** Canonical key of the series (ingest/label-key.ts). */
  readonly series: string;
  readonly labels: Labels;
  readonly value: number;
  readonly timestamp: number;
}

export type AddResult = 'stored' | 'duplicate' | 'out_of_order';

interface SeriesState {
  /** Entries of this series in the ring. */
  count: number;
  newest: StoredExemplar;
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  return true;
}

export class ExemplarRing {
  private readonly entries: (StoredExemplar | undefined)[];
  /** Where the next exemplar goes (the oldest entry once the ring is full). */
  private next = 0;
  private used = 0;
  private readonly series = new Map<string, SeriesState>();

  constructor(readonly capacity: number) {
    this.entries = new Array<StoredExemplar | undefined>(capacity);
  }

  get size(): number {
    return this.used;
  }

  add(e: StoredExemplar): AddResult {
    const st = this.series.get(e.series);
    if (st) {
      const n = st.newest;
      if (n.timestamp === e.timestamp && Object.is(n.value, e.value) && sameLabels(n.labels, e.labels)) return 'duplicate';
      if (e.timestamp < n.timestamp) return 'out_of_order';
    }
    const old = this.entries[this.next];
    if (old !== undefined) {
      const os = this.series.get(old.series)!;
      if (--os.count === 0) this.series.delete(old.series);
    } else this.used++;
    this.entries[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
    const cur = this.series.get(e.series);
    if (cur) {
      cur.count++;
      cur.newest = e;
    } else this.series.set(e.series, { count: 1, newest: e });
    return 'stored';
  }

  /** Every exemplar, oldest first. */
  *all(): Generator<StoredExemplar> {
    const start = this.used < this.capacity ? 0 : this.next;
    for (let i = 0; i < this.used; i++) yield this.entries[(start + i) % this.capacity]!;
  }

  /** The keys of the series that have exemplars now. */
  seriesKeys(): IterableIterator<string> {
    return this.series.keys();
  }
}

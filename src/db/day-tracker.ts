/**
 * Remembers which (day, series id) pairs the per-day index already has, so ingestion writes a
 * day posting once per series per day instead of once per sample. Days far behind the newest one
 * seen are forgotten; a backfill into them just re-registers (the index call is idempotent).
 *
 * Series ids come from a counter, so a day's registrations are a bitmap indexed by id (one bit a
 * series: 125 KB a day for a million series), tested in a few instructions per sample where a
 * Set<number> cost ~130 ns. Ids past the bitmap's reach (never, in practice) go to a Set.
 */
const KEEP_DAYS = 2;
/** Ids below this live in the bitmap (256 MB of bits at most). */
const BITMAP_IDS = 2 ** 31;

class DaySet {
  bits = new Uint32Array(1024);
  private large: Set<number> | null = null;

  /** Marks id; false when it was marked already. */
  add(id: number): boolean {
    if (id >= BITMAP_IDS) {
      this.large ??= new Set();
      if (this.large.has(id)) return false;
      this.large.add(id);
      return true;
    }
    const w = id >>> 5;
    let bits = this.bits;
    if (w >= bits.length) {
      let n = bits.length * 2;
      while (n <= w) n *= 2;
      const next = new Uint32Array(n);
      next.set(bits);
      this.bits = bits = next;
    }
    const m = 1 << (id & 31);
    const b = bits[w]!;
    if ((b & m) !== 0) return false;
    bits[w] = b | m;
    return true;
  }
}

export class DayTracker {
  private readonly days = new Map<number, DaySet>();
  private newestDay = -Infinity;
  private lastDay = NaN;
  private lastSet: DaySet | null = null;

  /** Collects the ids not yet registered on `day` into `out`, marking them registered. */
  collectNew(day: number, id: number, out: Map<number, number[]>): void {
    let set = day === this.lastDay ? this.lastSet! : this.days.get(day);
    if (!set) {
      set = new DaySet();
      this.days.set(day, set);
      if (day > this.newestDay) {
        this.newestDay = day;
        for (const d of this.days.keys()) if (d < day - KEEP_DAYS) this.days.delete(d);
      }
    }
    this.lastDay = day;
    this.lastSet = set;
    if (!set.add(id)) return;
    let list = out.get(day);
    if (!list) out.set(day, (list = []));
    list.push(id);
  }

  /** Forgets every registration (e.g. after ids were deleted). */
  clear(): void {
    this.days.clear();
    this.lastDay = NaN;
    this.lastSet = null;
  }
}

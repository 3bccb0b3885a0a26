/**
 * Remembers which (day, series id) pairs the per-day index already has, so ingestion writes a
 * day posting once per series per day instead of once per sample. Days far behind the newest one
 * seen are forgotten; a backfill into them just re-registers (the index call is idempotent).
 */
const KEEP_DAYS = 2;

export class DayTracker {
  private readonly days = new Map<number, Set<number>>();
  private newestDay = -Infinity;

  /** Collects the ids not yet registered on `day` into `out`, marking them registered. */
  collectNew(day: number, id: number, out: Map<number, number[]>): void {
    let set = this.days.get(day);
    if (!set) {
      set = new Set();
      this.days.set(day, set);
      if (day > this.newestDay) {
        this.newestDay = day;
        for (const d of this.days.keys()) if (d < day - KEEP_DAYS) this.days.delete(d);
      }
    }
    if (set.has(id)) return;
    set.add(id);
    let list = out.get(day);
    if (!list) out.set(day, (list = []));
    list.push(id);
  }

  /** Forgets every registration (e.g. after ids were deleted). */
  clear(): void {
    this.days.clear();
  }
}

/**
 * `--storage.maxHourlySeries` / `--storage.maxDailySeries`, as VictoriaMetrics has them: at most
 * so many unique series may be written per clock hour (day). A series already written in the
 * window keeps flowing; samples of further series are dropped. The sets hold series ids and are
 * bounded by the limits themselves; they start empty each hour (day).
 */
class Window {
  private key = NaN;
  private readonly ids = new Set<number>();

  constructor(
    readonly limit: number,
    private readonly spanMs: number,
  ) {}

  private roll(now: number): void {
    const key = Math.floor(now / this.spanMs);
    if (key !== this.key) {
      this.key = key;
      this.ids.clear();
    }
  }

  has(id: number, now: number): boolean {
    this.roll(now);
    return this.limit === 0 || this.ids.has(id);
  }

  /** Series that may still join this window. */
  room(now: number): number {
    this.roll(now);
    return this.limit === 0 ? Infinity : Math.max(0, this.limit - this.ids.size);
  }

  add(id: number): void {
    if (this.limit > 0) this.ids.add(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

export type LimitName = 'hourly' | 'daily';

export class SeriesLimiter {
  readonly hourly: Window;
  readonly daily: Window;
  /** Samples dropped by each limit since start. */
  readonly dropped = { hourly: 0, daily: 0 };

  constructor(maxHourly: number, maxDaily: number) {
    this.hourly = new Window(maxHourly, 3_600_000);
    this.daily = new Window(maxDaily, 86_400_000);
  }

  get active(): boolean {
    return this.hourly.limit > 0 || this.daily.limit > 0;
  }

  /** Whether a known series may be written now; admits it when there is room. Null: yes; else the limit that refused it. */
  admit(id: number, now: number): LimitName | null {
    const inHour = this.hourly.has(id, now);
    const inDay = this.daily.has(id, now);
    if (inHour && inDay) return null;
    if (!inDay && this.daily.room(now) === 0) return 'daily';
    if (!inHour && this.hourly.room(now) === 0) return 'hourly';
    this.hourly.add(id);
    this.daily.add(id);
    return null;
  }

  /** How many series not seen in either window may still be written now, and which limit binds. */
  room(now: number): { n: number; limit: LimitName } {
    const h = this.hourly.room(now);
    const d = this.daily.room(now);
    return d < h ? { n: d, limit: 'daily' } : { n: h, limit: 'hourly' };
  }

  /** Records series created under room(). */
  added(id: number): void {
    this.hourly.add(id);
    this.daily.add(id);
  }
}

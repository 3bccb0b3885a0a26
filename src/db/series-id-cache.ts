/**
 * Bounded key → series-id cache for the ingestion hot path: a known series costs one Map lookup
 * and no LMDB read. Two generations (as VictoriaMetrics's workingset cache): when the current one
 * fills, it becomes the previous one and the old previous is dropped, so memory stays bounded
 * while series that keep arriving are promoted back and never fall out.
 */
export class SeriesIdCache {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();

  constructor(private readonly maxEntriesPerGeneration: number) {}

  get(key: string): number | undefined {
    const id = this.current.get(key);
    if (id !== undefined) return id;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, id: number): void {
    if (this.current.size >= this.maxEntriesPerGeneration) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, id);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }
}

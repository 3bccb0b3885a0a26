/**
 * A bounded cache with two generations (as VictoriaMetrics does): lookups hit `current`, then
 * `previous` (promoting the entry). When `current` fills up it becomes `previous` and the old
 * `previous` is dropped whole — no per-hit bookkeeping, so the ingestion hot path stays cheap.
 * Holds between capacity/2 and capacity entries once warm.
 */
export class TwoGenerationCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly half: number;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.half && !this.current.has(key)) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/**
 * What the label index knows it cannot serve: entries whose checksum failed (quarantined: skipped
 * by every read, never decoded) and structural damage found in the file itself. While anything
 * is recorded the index counts as damaged: every query answer carries a warning and /health is
 * not ready, until `strata index rebuild` recreates the index. Kept in memory: a damaged entry is
 * found again by the next read or start-up check, and a salvaged index records its damage in
 * `meta` (see salvage.ts).
 */

export interface IndexDamageEntry {
  /** The LMDB database (`label_blocks`, `series`, …) or `file` for structural damage. */
  readonly table: string;
  /** The entry's key in hex; for structural damage, empty. */
  readonly key: string;
  readonly reason: string;
  /** When it was found, ISO 8601. */
  readonly found: string;
}

/** How many problems are kept for reporting; past it only the counts grow. */
const MAX_KEPT = 1000;

export class IndexDamage {
  private readonly entries = new Map<string, IndexDamageEntry>();
  private readonly perTable = new Map<string, number>();
  private total = 0;
  private incomplete: string | null = null;
  /** Hears each entry once, when first found (logging). */
  onDamage: ((e: IndexDamageEntry) => void) | null = null;

  record(table: string, key: Uint8Array | string, reason: string): void {
    const hex = typeof key === 'string' ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
    const k = `${table}/${hex}/${hex === '' ? reason : ''}`;
    if (this.entries.has(k)) return;
    this.total++;
    this.perTable.set(table, (this.perTable.get(table) ?? 0) + 1);
    const e: IndexDamageEntry = { table, key: hex, reason, found: new Date().toISOString() };
    if (this.entries.size < MAX_KEPT) this.entries.set(k, e);
    this.onDamage?.(e);
  }

  /** A rebuilt index that lacks some series (their labels were found nowhere): queries warn, /health is fine. */
  setIncomplete(note: string): void {
    this.incomplete = note;
  }

  get damaged(): boolean {
    return this.total > 0;
  }

  /** Damaged entries found, per table (structural problems under `file`). */
  counts(): ReadonlyMap<string, number> {
    return this.perTable;
  }

  all(): IndexDamageEntry[] {
    return [...this.entries.values()];
  }

  /** The Prometheus `warnings` line every query answer carries while the index is damaged. */
  warning(): string | null {
    if (this.total === 0)
      return this.incomplete === null ? null : `the label index was rebuilt without some series, whose samples are not served: ${this.incomplete}`;
    const tables = [...this.perTable].map(([t, n]) => `${n} in ${t}`).join(', ');
    return `the label index is damaged (${tables}); damaged entries are not served, so the result may be incomplete until \`strata index rebuild\` runs`;
  }

  /** One line for /health and /-/ready. */
  reason(): string | null {
    if (this.total === 0) return null;
    const first = this.all()[0];
    return `label index damaged: ${this.total} problem${this.total === 1 ? '' : 's'}${first ? ` (first: ${first.table}${first.key ? ` key ${first.key}` : ''}: ${first.reason})` : ''}; run \`strata index rebuild\``;
  }
}

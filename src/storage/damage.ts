/**
 * What storage knows it cannot serve: blocks whose checksum failed (skipped by reads, dropped by
 * merges) and parts taken out of service whole. Queries whose time range touches an entry carry a
 * warning naming its partition, so a damaged byte never turns into a silently short answer.
 *
 * Persisted in `data/damage.json` (docs/format/damage.md), rewritten atomically; an
 * entry goes when retention drops its partition.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

export interface DamageEntry {
  readonly partition: string;
  readonly part: string;
  /** `block`: one series' block; `part`: the whole part (its metadata or index is unreadable). */
  readonly kind: 'block' | 'part';
  /** The series of a damaged block; null for a whole part. */
  readonly seriesId: number | null;
  readonly minT: number;
  readonly maxT: number;
  readonly reason: string;
  /** When it was found, ISO 8601. */
  readonly found: string;
  /** Whether a merge has since dropped the block: its samples are gone for good. */
  readonly lost: boolean;
}

export const DAMAGE_FILE = 'damage.json';

function keyOf(e: Pick<DamageEntry, 'partition' | 'part' | 'kind' | 'seriesId' | 'minT' | 'maxT'>): string {
  // A block keeps its key through merges (part names change), so it is reported once.
  return e.kind === 'part' ? `${e.partition}/${e.part}` : `${e.partition}/${e.seriesId}/${e.minT}/${e.maxT}`;
}

export class DamageLog {
  private readonly entries = new Map<string, DamageEntry>();

  private constructor(private readonly path: string) {}

  static load(dataDir: string): DamageLog {
    const log = new DamageLog(join(dataDir, DAMAGE_FILE));
    if (fs.existsSync(log.path)) {
      try {
        const raw = JSON.parse(fs.readFileSync(log.path, 'utf8')) as { entries: DamageEntry[] };
        for (const e of raw.entries) log.entries.set(keyOf(e), e);
      } catch {
        // A damaged damage log loses only the warnings of the past; new damage is found again on read.
      }
    }
    return log;
  }

  get size(): number {
    return this.entries.size;
  }

  get all(): DamageEntry[] {
    return [...this.entries.values()];
  }

  /** Records an entry; returns false when it was known already (nothing changes then). */
  record(e: Omit<DamageEntry, 'found'>): boolean {
    const key = keyOf(e);
    const had = this.entries.get(key);
    if (had && (had.lost || !e.lost)) return false;
    this.entries.set(key, { ...e, found: had?.found ?? new Date().toISOString() });
    this.save();
    return true;
  }

  /** Entries whose samples would fall in [minT, maxT]. */
  overlapping(minT: number, maxT: number): DamageEntry[] {
    return this.all.filter((e) => e.minT <= maxT && e.maxT >= minT);
  }

  /** Forgets the entries of partitions that no longer exist. */
  retain(partitions: ReadonlySet<string>): void {
    let changed = false;
    for (const [k, e] of this.entries) {
      if (!partitions.has(e.partition)) {
        this.entries.delete(k);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  private save(): void {
    fs.mkdirSync(join(this.path, '..'), { recursive: true });
    const tmp = this.path + '.tmp';
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.all }));
    fs.renameSync(tmp, this.path);
  }
}

/** One warning line per partition for the entries given, as queries report them. */
export function damageWarnings(entries: readonly DamageEntry[]): string[] {
  const byPartition = new Map<string, DamageEntry[]>();
  for (const e of entries) {
    const list = byPartition.get(e.partition);
    if (list) list.push(e);
    else byPartition.set(e.partition, [e]);
  }
  const out: string[] = [];
  for (const [partition, list] of byPartition) {
    const parts = list.filter((e) => e.kind === 'part').length;
    const blocks = list.length - parts;
    const what = [blocks > 0 ? `${blocks} damaged block${blocks === 1 ? '' : 's'}` : '', parts > 0 ? `${parts} quarantined part${parts === 1 ? '' : 's'}` : '']
      .filter(Boolean)
      .join(' and ');
    out.push(`partition ${partition}: ${what} in the queried range are not served, so the result may be incomplete (see /api/v1/status/tsdb quarantined)`);
  }
  return out;
}

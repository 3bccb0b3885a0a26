/**
 * Which backups `backup prune` keeps, as restic's --keep-hourly/daily/…: walking from the newest
 * backup back, each rule keeps the newest backup of each of its N most recent periods (UTC hours,
 * days, ISO weeks, months) that have one. A backup kept by any rule stays, and so does a locked
 * one; incomplete backups (perhaps still running) are never pruned.
 */
export interface KeepRules {
  readonly hourly: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

export interface Candidate {
  readonly name: string;
  readonly createdAt: Date;
  readonly locked: boolean;
}

export interface PruneDecision {
  readonly name: string;
  readonly keep: boolean;
  /** Rules that keep it ('locked' included). */
  readonly reasons: readonly string[];
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return `${t.getUTCFullYear()}-W${Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)}`;
}

const PERIODS: { rule: keyof KeepRules; bucket: (d: Date) => string }[] = [
  { rule: 'hourly', bucket: (d) => d.toISOString().slice(0, 13) },
  { rule: 'daily', bucket: (d) => d.toISOString().slice(0, 10) },
  { rule: 'weekly', bucket: isoWeek },
  { rule: 'monthly', bucket: (d) => d.toISOString().slice(0, 7) },
];

export function decidePrune(backups: readonly Candidate[], rules: KeepRules): PruneDecision[] {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.name < b.name ? 1 : -1));
  const reasons = new Map<string, string[]>(newestFirst.map((b) => [b.name, b.locked ? ['locked'] : []]));
  for (const { rule, bucket } of PERIODS) {
    const n = rules[rule];
    if (n <= 0) continue;
    const seen = new Set<string>();
    for (const b of newestFirst) {
      const key = bucket(b.createdAt);
      if (seen.has(key)) continue;
      if (seen.size >= n) break;
      seen.add(key);
      reasons.get(b.name)!.push(rule);
    }
  }
  return newestFirst.map((b) => ({ name: b.name, keep: reasons.get(b.name)!.length > 0, reasons: reasons.get(b.name)! }));
}

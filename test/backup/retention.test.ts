/** Which backups prune keeps: restic-style "newest of each of the last N periods", plus locks. */
import { describe, expect, it } from 'vitest';
import { decidePrune } from '../../src/backup/index.js';

const HOUR = 3_600_000;
const base = Date.UTC(2026, 2, 2, 0, 0, 0); // a Monday

/** A backup every 2 hours for 10 days: b0 (oldest) … b119 (newest, day 10 at 22:00). */
const backups = Array.from({ length: 120 }, (_, i) => ({ name: `b${i}`, createdAt: new Date(base + i * 2 * HOUR), locked: i === 3 }));

function kept(rules: { hourly?: number; daily?: number; weekly?: number; monthly?: number }): string[] {
  return decidePrune(backups, { hourly: 0, daily: 0, weekly: 0, monthly: 0, ...rules })
    .filter((d) => d.keep)
    .map((d) => d.name)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

describe('prune decisions', () => {
  it('-keepLastHourly=24 -keepLastDaily=7 keeps the newest 24 (one per hour) and the newest of each of the last 7 days, and locked ones', () => {
    const newest24 = Array.from({ length: 24 }, (_, k) => 96 + k);
    // Each day's last backup is at 22:00: index 12d + 11 for day d (0-based); the last 7 days are d = 3..9.
    const lastOfDay = Array.from({ length: 7 }, (_, k) => 12 * (3 + k) + 11);
    const expected = [...new Set([3, ...lastOfDay, ...newest24])].sort((a, b) => a - b).map((i) => `b${i}`);
    expect(kept({ hourly: 24, daily: 7 })).toEqual(expected);
  });

  it('weekly and monthly keep the newest backup of each ISO week and month', () => {
    // Weeks: Mon 2 Mar – Sun 8 Mar (b0..b83) and Mon 9 Mar – (b84..b119).
    expect(kept({ weekly: 5 })).toEqual(['b3', 'b83', 'b119']);
    expect(kept({ monthly: 1 })).toEqual(['b3', 'b119']);
  });

  it('says why each kept backup stays', () => {
    const d = decidePrune(backups, { hourly: 1, daily: 1, weekly: 0, monthly: 0 });
    expect(d.find((x) => x.name === 'b119')!.reasons).toEqual(['hourly', 'daily']);
    expect(d.find((x) => x.name === 'b3')!.reasons).toEqual(['locked']);
    expect(d.find((x) => x.name === 'b100')!.keep).toBe(false);
  });
});

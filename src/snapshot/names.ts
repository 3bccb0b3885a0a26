/**
 * Snapshot names as VictoriaMetrics makes them: `YYYYMMDDhhmmss-<16 hex digits>` (UTC time, then
 * a nanosecond counter), so they sort by creation time and a name cannot be a path.
 */
const NAME_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})-[0-9A-F]{16}$/;

let lastNanos = 0n;

export function newSnapshotName(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  let nanos = BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return `${stamp}-${nanos.toString(16).toUpperCase().padStart(16, '0')}`;
}

export function isSnapshotName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Creation time encoded in a snapshot name (second precision), or NaN. */
export function snapshotTime(name: string): number {
  const m = NAME_RE.exec(name);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Go/VictoriaMetrics-style durations as command-line flags write them. */

export const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/** `500ms`, `1h30m`, `2.5s`, `0`: Go/VictoriaMetrics-style durations into milliseconds. */
export function parseDurationFlag(raw: string): number {
  const s = raw.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) throw new Error(`cannot parse duration ${JSON.stringify(raw)}: want e.g. 30s, 5m, 1h30m`);
  return Math.round(total);
}

/**
 * Days as the index keys per-day postings (docs/format/index.md): whole UTC days since
 * 1970-01-01. Every caller that picks a day for the index goes through here: a second formula
 * that drifted from this one would silently miss postings.
 */
export const DAY_MS = 86_400_000;

/** The day of a millisecond timestamp: the `day` of resolve/addToDay. */
export function dayOf(timestampMs: number): number {
  return Math.floor(timestampMs / DAY_MS);
}

/** The first millisecond of a day. */
export function dayStart(day: number): number {
  return day * DAY_MS;
}

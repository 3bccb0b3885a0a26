/** Go's `int64(f)` for a finite float: truncation toward zero. NaN/±Inf become the minimum int64. */
function toUnixSeconds(v: number): number {
  if (!Number.isFinite(v)) return -9223372036854775808;
  return Math.trunc(v);
}

function dateOf(seconds: number): Date {
  return new Date(toUnixSeconds(seconds) * 1000);
}

/** Date functions over a Unix time in seconds, in UTC. */
export const DATE_FUNCTIONS: Readonly<Record<string, (seconds: number) => number>> = {
  year: (s) => dateOf(s).getUTCFullYear(),
  month: (s) => dateOf(s).getUTCMonth() + 1,
  day_of_month: (s) => dateOf(s).getUTCDate(),
  day_of_week: (s) => dateOf(s).getUTCDay(),
  day_of_year: (s) => {
    const d = dateOf(s);
    return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
  },
  days_in_month: (s) => {
    const d = dateOf(s);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  },
  hour: (s) => dateOf(s).getUTCHours(),
  minute: (s) => dateOf(s).getUTCMinutes(),
};

/**
 * The date functions (`hour()`, `year()`, …) as Prometheus computes them: `time.Unix(int64(v), 0)`
 * in UTC, then Go's calendar arithmetic. JavaScript's Date covers only ±8.64e12 s, so the civil
 * date is computed here the way Go's time package does it over its whole int64 range (including
 * its wrap-around: `hour(vector(1e300))` is 15 on Prometheus 2.42).
 */

/** Go's `int64(f)` on amd64: truncation toward zero; NaN, ±Inf and anything out of range become the minimum int64. */
function goInt64(v: number): bigint {
  if (!Number.isFinite(v) || v >= 2 ** 63 || v < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(v));
}

const SECONDS_PER_DAY = 86_400;
const DAYS_PER_400_YEARS = 365 * 400 + 97;
const DAYS_PER_100_YEARS = 365 * 100 + 24;
const DAYS_PER_4_YEARS = 365 * 4 + 1;
/** Go's absoluteZeroYear: the calendar's day 0 lies in this year, so all arithmetic stays unsigned. */
const ABSOLUTE_ZERO_YEAR = -292277022399;
/** Seconds from Go's absolute zero to the Unix epoch (unixToInternal + internalToAbsolute). */
const UNIX_TO_ABSOLUTE = 9223372028715321600n;
const U64 = 2n ** 64n;
const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

interface Civil {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
  /** 0-based day of the year. */
  yday: number;
  /** Seconds into the day. */
  secOfDay: number;
  /** 0 = Sunday. */
  weekday: number;
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Go's Time.abs() followed by absDate(): uint64 seconds since the absolute zero, wrapped as Go wraps them. */
function civil(seconds: number): Civil {
  const abs = (((goInt64(seconds) + UNIX_TO_ABSOLUTE) % U64) + U64) % U64;
  const secOfDay = Number(abs % BigInt(SECONDS_PER_DAY));
  let d = Number(abs / BigInt(SECONDS_PER_DAY));
  // Monday is day 1 of Go's absolute calendar week.
  const weekday = Number(((abs + BigInt(SECONDS_PER_DAY)) % BigInt(7 * SECONDS_PER_DAY)) / BigInt(SECONDS_PER_DAY));
  let n = Math.floor(d / DAYS_PER_400_YEARS);
  let y = 400 * n;
  d -= DAYS_PER_400_YEARS * n;
  n = Math.floor(d / DAYS_PER_100_YEARS);
  n -= n >> 2;
  y += 100 * n;
  d -= DAYS_PER_100_YEARS * n;
  n = Math.floor(d / DAYS_PER_4_YEARS);
  y += 4 * n;
  d -= DAYS_PER_4_YEARS * n;
  n = Math.floor(d / 365);
  n -= n >> 2;
  y += n;
  d -= 365 * n;
  const year = y + ABSOLUTE_ZERO_YEAR;
  const yday = d;
  let day = yday;
  if (isLeap(year)) {
    if (day > 31 + 29 - 1) day--;
    else if (day === 31 + 29 - 1) return { year, month: 2, day: 29, yday, secOfDay, weekday };
  }
  let month = Math.floor(day / 31);
  const end = DAYS_BEFORE[month + 1]!;
  let begin: number;
  if (day >= end) {
    month++;
    begin = end;
  } else {
    begin = DAYS_BEFORE[month]!;
  }
  return { year, month: month + 1, day: day - begin + 1, yday, secOfDay, weekday };
}

function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_BEFORE[month]! - DAYS_BEFORE[month - 1]!;
}

/** Date functions over a Unix time in seconds, in UTC. */
export const DATE_FUNCTIONS: Readonly<Record<string, (seconds: number) => number>> = {
  year: (s) => civil(s).year,
  month: (s) => civil(s).month,
  day_of_month: (s) => civil(s).day,
  day_of_week: (s) => civil(s).weekday,
  day_of_year: (s) => civil(s).yday + 1,
  days_in_month: (s) => {
    const c = civil(s);
    return daysIn(c.month, c.year);
  },
  hour: (s) => Math.floor(civil(s).secOfDay / 3600),
  minute: (s) => Math.floor((civil(s).secOfDay % 3600) / 60),
};

/**
 * OTLP metric and attribute names → Prometheus names, per translation strategy (Prometheus's
 * `otlp.translation_strategy`). The default, UnderscoreEscapingWithSuffixes, is Prometheus 3's:
 * characters outside [a-zA-Z0-9:] split the name into words joined by `_`, the unit becomes a
 * suffix (`s` → `_seconds`, `By/s` → `_bytes_per_second`, `{request}` annotations dropped), a
 * monotonic sum ends in `_total`, a gauge of unit `1` in `_ratio`. Label names get invalid
 * characters replaced by `_`, and a `key` prefix when they would start with a digit or a single
 * underscore (Prometheus 3's default label sanitisation, multiple underscores kept).
 */

export const TRANSLATION_STRATEGIES = [
  'UnderscoreEscapingWithSuffixes',
  'UnderscoreEscapingWithoutSuffixes',
  'NoUTF8EscapingWithSuffixes',
  'NoTranslation',
] as const;

export type TranslationStrategy = (typeof TRANSLATION_STRATEGIES)[number];

/** What the name suffixes depend on. Non-monotonic sums are gauges for Prometheus but get no `_ratio`. */
export type NamingType = 'gauge' | 'counter' | 'nonMonotonicCounter' | 'histogram' | 'exponentialHistogram' | 'summary';

const escapes = (s: TranslationStrategy): boolean => s === 'UnderscoreEscapingWithSuffixes' || s === 'UnderscoreEscapingWithoutSuffixes';
const suffixes = (s: TranslationStrategy): boolean => s === 'UnderscoreEscapingWithSuffixes' || s === 'NoUTF8EscapingWithSuffixes';

/** UCUM units OpenTelemetry uses → Prometheus base-unit words. */
const UNITS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

/** The denominator of `x/y` units, singular. */
const PER_UNITS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

function own(map: Record<string, string>, k: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(map, k) ? map[k] : undefined;
}

/** Main and `per_` suffix words of a unit, untranslated characters still in them. */
function unitSuffixes(unit: string): [string, string] {
  const slash = unit.indexOf('/');
  const mainRaw = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perRaw = slash < 0 ? '' : unit.slice(slash + 1).trim();
  let main = '';
  let per = '';
  // `{packets}` and the like are annotations (UCUM curly braces): not units.
  if (mainRaw !== '' && !/[{}]/.test(mainRaw)) main = own(UNITS, mainRaw) ?? mainRaw;
  if (perRaw !== '' && !/[{}]/.test(perRaw)) per = own(PER_UNITS, perRaw) ?? perRaw;
  return [main, per === '' ? '' : 'per_' + per];
}

const isMetricChar = (c: string): boolean => /[a-zA-Z0-9:]/.test(c);

/** Invalid characters → `_`, runs of `_` → one, no leading `_`. */
function cleanUnit(u: string): string {
  let out = '';
  for (const c of u) out += isMetricChar(c) ? c : '_';
  return out.replace(/_+/g, '_').replace(/^_/, '');
}

/** Metric name words: maximal runs of [a-zA-Z0-9:]. */
function words(name: string): string[] {
  return name.split(/[^a-zA-Z0-9:]+/).filter((w) => w !== '');
}

function trimSuffix(name: string, suffix: string): string {
  return name.endsWith(suffix) && name.length > suffix.length + 1 ? name.slice(0, name.length - suffix.length - 1) : name;
}

/**
 * The Prometheus metric name (before `_bucket`/`_sum`/`_count`), or '' when nothing of it is left
 * (a name of only invalid characters or underscores), which the caller refuses.
 */
export function metricName(name: string, unit: string, type: NamingType, strategy: TranslationStrategy): string {
  if (!escapes(strategy)) return utf8MetricName(name, unit, type, suffixes(strategy));
  let out: string;
  if (suffixes(strategy)) {
    const tokens = words(name);
    const [mainRaw, perRaw] = unitSuffixes(unit);
    let main = cleanUnit(mainRaw);
    let per = cleanUnit(perRaw);
    if (tokens.includes(main)) main = '';
    if (per === 'per_') per = '';
    else {
      per = per.replace(/_$/, '');
      if (tokens.includes(per)) per = '';
    }
    if (per !== '') main = main.replace(/_$/, '');
    if (main !== '') tokens.push(main);
    if (per !== '') tokens.push(per);
    let t = tokens;
    if (type === 'counter') t = [...t.filter((w) => w !== 'total'), 'total'];
    if (unit === '1' && type === 'gauge') t = [...t.filter((w) => w !== 'ratio'), 'ratio'];
    out = t.join('_');
  } else {
    // Underscores stay word characters here: only other invalid characters split.
    out = name
      .split(/[^a-zA-Z0-9:_]+/)
      .filter((w) => w !== '')
      .join('_');
  }
  if (/^[0-9]/.test(out)) out = '_' + out;
  return /^_*$/.test(out) ? '' : out;
}

function utf8MetricName(name: string, unit: string, type: NamingType, withSuffixes: boolean): string {
  if (!withSuffixes) return name;
  let out = name;
  const tail: string[] = [];
  if (unit === '1' && type === 'gauge') {
    out = trimSuffix(out, 'ratio');
    tail.unshift('_ratio');
  }
  if (type === 'counter') {
    out = trimSuffix(out, 'total');
    tail.unshift('_total');
  }
  const [main, per] = unitSuffixes(unit);
  if (per !== '') {
    out = trimSuffix(out, per);
    tail.unshift('_' + per);
  }
  if (main !== '' && !out.endsWith(main)) out += '_' + main;
  return out + tail.join('');
}

/** The unit as metadata records it (`By/s` → `bytes_per_second`). */
export function unitName(unit: string, strategy: TranslationStrategy): string {
  let [main, per] = unitSuffixes(unit);
  if (escapes(strategy)) {
    main = cleanUnit(main);
    per = cleanUnit(per);
  }
  const u = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  return u.replace(/^_/, '').replace(/_$/, '');
}

/** The label name for an attribute key, or '' when none can be made (the attribute is skipped). */
export function labelName(key: string, strategy: TranslationStrategy): string {
  if (key === '') return '';
  if (!escapes(strategy)) return /^_*$/.test(key) ? '' : key;
  const known = escapedLabels.get(key);
  if (known !== undefined) return known;
  // Per code point (the `u` flag), as Go replaces per rune.
  let out = key.replace(/[^a-zA-Z0-9_]/gu, '_');
  if (/^[0-9]/.test(out)) out = 'key_' + out;
  else if (out.startsWith('_') && !out.startsWith('__')) out = 'key' + out;
  if (/^_*$/.test(out)) out = '';
  // The same few attribute keys come in every request: remember them, within a bound.
  if (escapedLabels.size >= ESCAPED_LABELS_MAX) escapedLabels.clear();
  escapedLabels.set(key, out);
  return out;
}

const ESCAPED_LABELS_MAX = 10_000;
const escapedLabels = new Map<string, string>();

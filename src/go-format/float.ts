/**
 * Go's float formatting (`strconv.FormatFloat`), for every text where Prometheus prints a number:
 * the query printer, annotations, label values made by `count_values`, and the text exposition
 * format. JavaScript's shortest round-trip digits are Go's (both print the shortest decimal that
 * reads back to the same float64); only the layout differs.
 */

/** Shortest round-trip decimal digits and decimal-point position of a finite, non-zero |v|. */
function shortestDigits(v: number): { digits: string; point: number } {
  const [mant, expPart] = Math.abs(v).toExponential().split('e') as [string, string];
  return { digits: mant.replace('.', ''), point: Number(expPart) + 1 };
}

/** NaN, ±Inf and ±0 as Go prints them, or null for every other number. */
function special(v: number): string | null {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return null;
}

/** `d.ddde±XX`: Go's exponent has a sign and at least two digits. */
function exponentForm(sign: string, digits: string, exp: number): string {
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp);
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatFloatF(v: number): string {
  const sp = special(v);
  if (sp !== null) return sp;
  const { digits, point } = shortestDigits(v);
  const sign = v < 0 ? '-' : '';
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)`, also `%v` and `%g`: shortest round-trip digits, in
 * exponent form when the decimal exponent is < -4 or >= 6 (`1e+06`, `123456`, `1e-05`).
 */
export function formatFloatG(v: number): string {
  const sp = special(v);
  if (sp !== null) return sp;
  const { digits, point } = shortestDigits(v);
  const exp = point - 1;
  // With shortest digits Go decides on precision 6, whatever the digit count.
  if (exp < -4 || exp >= 6) return exponentForm(v < 0 ? '-' : '', digits, exp);
  return formatFloatF(v);
}

/** Go's `%.<p>g` (`strconv.FormatFloat(v, 'g', p, 64)` with trailing zeros removed by %g). */
export function formatFloatGPrecision(v: number, p: number): string {
  const sp = special(v);
  if (sp !== null) return sp;
  const [mant, expText] = v.toExponential(p - 1).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (x: string): string => (x.includes('.') ? x.replace(/0+$/, '').replace(/\.$/, '') : x);
  if (exp < -4 || exp >= p) {
    const m = trim(mant);
    const neg = m.startsWith('-');
    return exponentForm(neg ? '-' : '', m.replace('-', '').replace('.', ''), exp);
  }
  return trim(v.toFixed(Math.max(0, p - 1 - exp)));
}

import { formatFloatG } from '../go-format/index.js';

/**
 * Float formatting for JSON-lines export: VictoriaMetrics's notation (an integral value prints as
 * an integer, every digit within int64; NaN/±Inf as `NaN`, `+Inf`, `-Inf`; otherwise the shortest
 * digits that round-trip), but lossless and compact where VictoriaMetrics is not: -0 keeps its
 * sign, as the query API shows it, and very small or large values keep JavaScript's exponent form
 * (`1e-300`, not 300 zeros). VictoriaMetrics's importer reads both.
 */
export function formatVMFloat(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  if (Number.isInteger(v)) {
    if (v > -9007199254740992 && v < 9007199254740992) return String(v);
    // Within int64 Go prints int(f) exactly, every digit; beyond it the shortest digits.
    if (v >= -9223372036854775808 && v < 9223372036854775808) return BigInt(v).toString();
  }
  return String(v);
}

/**
 * A value as Prometheus's text exposition writes it: Go `strconv.FormatFloat(f, 'g', -1, 64)`
 * (`1e+06`, `1.5e-05`, `0.0001`, `123456`), with -0 as `0` (expfmt special-cases zero).
 */
export function formatPromFloat(v: number): string {
  return v === 0 ? '0' : formatFloatG(v);
}

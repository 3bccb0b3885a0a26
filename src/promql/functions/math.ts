/** Go's `math.Pow` where it differs from JS `**` (1^y and (-1)^±Inf are 1 in Go). */
export function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

function sgn(v: number): number {
  return v < 0 ? -1 : v > 0 ? 1 : v;
}

/** Functions of one float sample that drop the metric name and keep everything else. */
export const SIMPLE_MATH: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (v) => (v * Math.PI) / 180,
  deg: (v) => (v * 180) / Math.PI,
  sgn,
};

/** `round(v, toNearest)`: ties round up, as Prometheus (floor(v/n + 0.5) * n, via the inverse). */
export function roundTo(v: number, toNearest: number): number {
  const inv = 1 / toNearest;
  return Math.floor(v * inv + 0.5) / inv;
}

export function clampValue(v: number, min: number, max: number): number {
  // Go's math.Max/Min propagate NaN, as Math.max/min do.
  return Math.max(min, Math.min(max, v));
}

/**
 * Sorts ascending with NaN first, the order Prometheus's `vectorByValueHeap` gives (NaN is "less"
 * than everything).
 */
export function sortNaNFirst(a: Float64Array): void {
  a.sort();
  let nan = 0;
  for (let i = a.length - 1; i >= 0 && Number.isNaN(a[i]!); i--) nan++;
  if (nan === 0) return;
  a.copyWithin(nan, 0, a.length - nan);
  a.fill(NaN, 0, nan);
}

/** The φ-quantile of `values` by linear interpolation between closest ranks; sorts `values` in place. */
export function quantile(q: number, values: Float64Array): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  sortNaNFirst(values);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

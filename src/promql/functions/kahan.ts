/**
 * Neumaier-compensated summation step, as Prometheus's `kahansum.Inc`: returns the new sum and
 * writes the new compensation into `out[1]` (out[0] gets the sum) to avoid allocating a pair.
 */
export function kahanInc(inc: number, sum: number, c: number, out: Float64Array): void {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  out[0] = t;
  out[1] = c;
}

/**
 * Size of the same samples in the classic Gorilla / Prometheus XOR chunk encoding, the baseline
 * the codec benchmark compares against. Only sizes are computed: nothing reads these bits back.
 *
 * Timestamps: first as a 64-bit value, first delta as 14 bits (per the paper), then delta-of-deltas
 * in buckets: 0 → 1 bit; |dod| within 2^13, 2^16, 2^19 → 2+14, 3+17, 4+20 bits; else 4+64 bits
 * (Prometheus's XOR chunk uses the same buckets for milliseconds).
 * Values: first 64 bits, then XOR with the previous: 1 bit when equal, 2 + meaningful bits when the
 * previous leading/trailing-zero window fits, else 2 + 5 + 6 + meaningful bits.
 */
export function gorillaTimestampBits(ts: Float64Array, n: number): number {
  if (n === 0) return 0;
  let bits = 64;
  if (n === 1) return bits;
  bits += 14;
  let prevDelta = ts[1]! - ts[0]!;
  for (let i = 2; i < n; i++) {
    const d = ts[i]! - ts[i - 1]!;
    const dod = d - prevDelta;
    prevDelta = d;
    if (dod === 0) bits += 1;
    else if (dod >= -8191 && dod <= 8192) bits += 16;
    else if (dod >= -65535 && dod <= 65536) bits += 20;
    else if (dod >= -524287 && dod <= 524288) bits += 24;
    else bits += 68;
  }
  return bits;
}

export function gorillaValueBits(values: Float64Array, n: number): number {
  if (n === 0) return 0;
  const w = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let bits = 64;
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    const xlo = (w[2 * i]! ^ w[2 * i - 2]!) >>> 0;
    const xhi = (w[2 * i + 1]! ^ w[2 * i - 1]!) >>> 0;
    if (xlo === 0 && xhi === 0) {
      bits += 1;
      continue;
    }
    const lz = Math.min(31, xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo));
    const tz = xlo !== 0 ? 31 - Math.clz32(xlo & -xlo) : 32 + (31 - Math.clz32(xhi & -xhi));
    if (lead >= 0 && lz >= lead && tz >= trail) {
      bits += 2 + (64 - lead - trail);
    } else {
      bits += 2 + 5 + 6 + (64 - lz - tz);
      lead = lz;
      trail = tz;
    }
  }
  return bits;
}

import type { Reader, Writer } from './bits.js';
import { CodecError } from './errors.js';

/**
 * Gorilla XOR (Pelkonen et al., 2015) over float64 bit patterns held as (hi, lo) uint32 pairs;
 * bit layout: docs/format/codec.md.
 */
export function writeGorilla(w: Writer, words: Uint32Array, count: number): void {
  if (count === 0) return;
  let plo = words[0]!;
  let phi = words[1]!;
  w.bits(plo, 32);
  w.bits(phi, 32);
  let lead = -1; // no window yet
  let trail = 0;
  for (let i = 1; i < count; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    const xlo = (lo ^ plo) >>> 0;
    const xhi = (hi ^ phi) >>> 0;
    plo = lo;
    phi = hi;
    if (xlo === 0 && xhi === 0) {
      w.bits(0, 1);
      continue;
    }
    let lz = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
    if (lz > 31) lz = 31;
    const tz = xlo !== 0 ? ctz32(xlo) : 32 + ctz32(xhi);
    if (lead >= 0 && lz >= lead && tz >= trail) {
      w.bits(1, 2); // bit 1 then bit 0
      writeShifted(w, xhi, xlo, trail, 64 - lead - trail);
    } else {
      w.bits(3, 2);
      const len = 64 - lz - tz;
      w.bits(lz, 5);
      w.bits(len - 1, 6);
      writeShifted(w, xhi, xlo, tz, len);
      lead = lz;
      trail = tz;
    }
  }
}

/** Writes len bits of (hi:lo) >>> shift. */
function writeShifted(w: Writer, hi: number, lo: number, shift: number, len: number): void {
  let slo: number;
  let shi: number;
  if (shift >= 32) {
    slo = hi >>> (shift - 32);
    shi = 0;
  } else if (shift === 0) {
    slo = lo;
    shi = hi;
  } else {
    slo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    shi = hi >>> shift;
  }
  if (len <= 32) {
    w.bits(slo, len);
  } else {
    w.bits(slo, 32);
    w.bits(shi, len - 32);
  }
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Decodes n ≤ count values into words (hi, lo pairs); the reader must be in an open bit section. */
export function readGorilla(r: Reader, n: number, words: Uint32Array): void {
  if (n === 0) return;
  let lo = r.bits(32);
  let hi = r.bits(32);
  words[0] = lo;
  words[1] = hi;
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    if (r.bits(1) !== 0) {
      let len: number;
      if (r.bits(1) === 0) {
        if (lead < 0) throwNoWindow();
        len = 64 - lead - trail;
      } else {
        lead = r.bits(5);
        len = r.bits(6) + 1;
        trail = 64 - lead - len;
        if (trail < 0) throwBadWindow(lead, len);
      }
      let slo: number;
      let shi = 0;
      if (len <= 32) slo = r.bits(len);
      else {
        slo = r.bits(32);
        shi = r.bits(len - 32);
      }
      // Shift (shi:slo) left by trail into (xhi:xlo).
      let xlo: number;
      let xhi: number;
      if (trail >= 32) {
        xlo = 0;
        xhi = slo << (trail - 32);
      } else if (trail === 0) {
        xlo = slo;
        xhi = shi;
      } else {
        xlo = slo << trail;
        xhi = (shi << trail) | (slo >>> (32 - trail));
      }
      lo = (lo ^ xlo) >>> 0;
      hi = (hi ^ xhi) >>> 0;
    }
    words[2 * i] = lo;
    words[2 * i + 1] = hi;
  }
}

function throwNoWindow(): never {
  throw new CodecError('codec block corrupt: Gorilla window reused before one was set');
}

function throwBadWindow(lead: number, len: number): never {
  throw new CodecError(`codec block corrupt: Gorilla window of ${lead} leading zeros and ${len} bits exceeds 64 bits`);
}

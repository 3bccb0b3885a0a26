import { describe, it, expect } from 'vitest';
import { xxhash64 } from '../../src/promql/aggregations/xxhash64.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('XXH64 (the hash limit_ratio samples by, as Prometheus)', () => {
  it('matches the reference digests of short and long inputs', () => {
    expect(xxhash64(enc('')).toString(16)).toBe('ef46db3751d8e999');
    expect(xxhash64(enc('abc')).toString(16)).toBe('44bc2cf5ad770999');
    expect(xxhash64(enc('Nobody inspects the spammish repetition')).toString(16)).toBe('fbcea83c8a378bf1');
  });
});

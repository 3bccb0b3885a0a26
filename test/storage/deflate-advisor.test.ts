import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COMPRESSED, CODEC_STRATA, type EncodedColumn } from '../../src/storage/block-codec.js';
import { DeflateAdvisor } from '../../src/storage/deflate-advisor.js';

/** A column whose first byte (the codec's kind byte) is `kind`, then repetitive or random bytes. */
function column(kind: number, compressible: boolean): EncodedColumn {
  const body = compressible ? Buffer.alloc(600, 'abcabcabc') : randomBytes(600);
  return { kind: CODEC_STRATA, bytes: Buffer.concat([Buffer.from([kind]), body]) };
}
const deflated = (c: EncodedColumn): boolean => (c.kind & COMPRESSED) !== 0;

describe('deflate advisor', () => {
  it('deflates the blocks of a kind that compresses', () => {
    const a = new DeflateAdvisor();
    for (let i = 0; i < 100; i++) expect(deflated(a.apply('values', column(0x12, true)))).toBe(true);
  });

  it('stops trying a kind that does not compress, probing it again now and then', () => {
    const a = new DeflateAdvisor();
    for (let i = 0; i < 16; i++) expect(deflated(a.apply('values', column(0x14, false)))).toBe(false);
    // Compressible from here on, but the kind has not paid so far: only the probe finds out.
    const got = Array.from({ length: 32 }, () => deflated(a.apply('values', column(0x14, true))));
    expect(got.slice(0, 31).every((d) => !d)).toBe(true);
    expect(got[31]).toBe(true);
  });

  it('judges each kind and each column on its own', () => {
    const a = new DeflateAdvisor();
    for (let i = 0; i < 40; i++) a.apply('values', column(0x14, false));
    expect(deflated(a.apply('values', column(0x12, true)))).toBe(true);
    expect(deflated(a.apply('timestamps', column(0x14, true)))).toBe(true);
  });
});

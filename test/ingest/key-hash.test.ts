import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalKey,
  decodeWriteRequestV1,
  encodeRemoteWriteV1,
  hashKeyBytes,
  hashKeyString,
  KEY_HASH_LANES,
  snappyUncompress,
} from '../../src/ingest/index.js';
import { ingestWasm } from '../../src/ingest/wasm.js';

const hashOfString = (s: string): number[] => {
  const out = new Uint32Array(KEY_HASH_LANES);
  hashKeyString(s, out, 0);
  return [...out];
};
const hashOfBytes = (b: Uint8Array): number[] => {
  const out = new Uint32Array(KEY_HASH_LANES);
  hashKeyBytes(b, 0, b.length, out, 0);
  return [...out];
};

describe('series key hash', () => {
  it("is the same in the decode workers' WebAssembly as in TypeScript, for every length", () => {
    const wasm = ingestWasm();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const { input, output } = wasm.reserve(bytes.length, 16);
        wasm.u8.set(bytes, input);
        wasm.x.hashKey(input, input + bytes.length, output);
        expect([...new Uint32Array(wasm.u8.buffer, output, KEY_HASH_LANES)]).toEqual(hashOfBytes(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('is the same for a key held as bytes and as a latin1 string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(hashOfString(Buffer.from(bytes).toString('latin1'))).toEqual(hashOfBytes(bytes));
      }),
    );
  });

  it('hashes only the given range of a larger buffer', () => {
    const key = Buffer.from(
      canonicalKey([
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'node' },
      ]),
      'latin1',
    );
    const framed = Buffer.concat([Buffer.from([1, 2, 3]), key, Buffer.from([9, 9])]);
    const out = new Uint32Array(KEY_HASH_LANES);
    hashKeyBytes(framed, 3, 3 + key.length, out, 0);
    expect([...out]).toEqual(hashOfBytes(key));
  });

  it('tells apart keys that differ in one byte, in their length, or only in trailing zero bytes', () => {
    const seen = new Set<string>();
    const base = 'node_cpu_seconds_total{cpu="0",mode="idle"}';
    const variants = [base, base + '\0', base + '\0\0', base.slice(0, -1), base.replace('0', '1'), ''];
    for (let i = 0; i < 2000; i++) variants.push(`${base}${i}`);
    for (const v of variants) seen.add(hashOfString(v).join(','));
    expect(seen.size).toBe(variants.length);
  });

  it('is what a remote-write batch reports for each of its series', () => {
    const body = encodeRemoteWriteV1([
      {
        labels: [
          { name: '__name__', value: 'up' },
          { name: 'job', value: 'a' },
        ],
        timestamps: [1],
        values: [1],
      },
      {
        labels: [
          { name: 'job', value: 'b' },
          { name: '__name__', value: 'up' },
        ],
        timestamps: [1],
        values: [2],
      },
    ]);
    for (const mode of ['bytes', 'strings'] as const) {
      const batch = decodeWriteRequestV1(snappyUncompress(body, 1 << 20), {}, mode);
      expect(batch.seriesCount).toBe(2);
      for (let i = 0; i < batch.seriesCount; i++) {
        expect([...batch.keyHashes.subarray(i * KEY_HASH_LANES, (i + 1) * KEY_HASH_LANES)]).toEqual(hashOfString(batch.key(i)));
      }
    }
  });
});

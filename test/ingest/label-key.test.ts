import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalKey,
  decodeRemoteWriteV1,
  decodeRemoteWriteV2,
  encodeRemoteWriteV1,
  encodeRemoteWriteV2,
  labelsFromKey,
  parsePrometheusText,
} from '../../src/ingest/index.js';
import { sortLabels, type Label } from '../../src/model/index.js';

const labelSet = fc
  .uniqueArray(
    fc.record({ name: fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), value: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }) }),
    {
      selector: (l) => l.name,
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((ls) => ls as Label[]);

describe('canonical series keys', () => {
  it('are independent of label order', () => {
    fc.assert(
      fc.property(labelSet, (ls) => {
        expect(canonicalKey([...ls].reverse())).toBe(canonicalKey(ls));
      }),
    );
  });

  it('decode back to the sorted label set, any UTF-8 included', () => {
    fc.assert(
      fc.property(labelSet, (ls) => {
        expect(labelsFromKey(canonicalKey(ls))).toEqual(sortLabels([...ls]));
      }),
    );
  });

  it('decode back from the key bytes a decode worker hands over as from the key string, long values included', () => {
    const long = { name: 'long', value: 'é'.repeat(100) + 'x'.repeat(300) };
    fc.assert(
      fc.property(labelSet, (ls) => {
        const sets = [ls, [...ls, long]];
        const body = encodeRemoteWriteV1(sets.map((labels, i) => ({ labels, timestamps: [i], values: [i] })));
        const b = decodeRemoteWriteV1(body, undefined, 'bytes');
        for (let i = 0; i < b.seriesCount; i++) expect(b.labels(i)).toEqual(labelsFromKey(b.key(i)));
      }),
      { numRuns: 50 },
    );
  });

  it('tell apart label sets that naive joining would confuse (NUL and separators in values)', () => {
    const a = canonicalKey([{ name: 'a', value: 'x\u0000b\u0001y' }]);
    const b = canonicalKey([
      { name: 'a', value: 'x' },
      { name: 'b', value: 'y' },
    ]);
    expect(a).not.toBe(b);
  });

  it('leave out empty values', () => {
    expect(
      canonicalKey([
        { name: 'a', value: '1' },
        { name: 'b', value: '' },
      ]),
    ).toBe(canonicalKey([{ name: 'a', value: '1' }]));
  });

  it('are the same whichever protocol carried the series', () => {
    fc.assert(
      fc.property(labelSet, (ls) => {
        const labels = [{ name: '__name__', value: 'm' }, ...ls.filter((l) => l.name !== '__name__')];
        const v1 = decodeRemoteWriteV1(encodeRemoteWriteV1([{ labels, timestamps: [1], values: [1] }]));
        const v2 = decodeRemoteWriteV2(encodeRemoteWriteV2([{ labels, timestamps: [1], values: [1] }]));
        expect(v1.keys[0]).toBe(canonicalKey(labels));
        expect(v2.keys[0]).toBe(canonicalKey(labels));
      }),
      { numRuns: 200 },
    );
    const text = parsePrometheusText('up{job="a",instance="b"} 1\n', 0);
    expect(text.keys[0]).toBe(
      canonicalKey([
        { name: '__name__', value: 'up' },
        { name: 'instance', value: 'b' },
        { name: 'job', value: 'a' },
      ]),
    );
  });
});

describe('keys carried as bytes (decode workers)', () => {
  it('materialise to the same strings as the string mode', () => {
    const body = encodeRemoteWriteV1([
      {
        labels: [
          { name: '__name__', value: 'a' },
          { name: 'x', value: 'é' },
        ],
        timestamps: [1],
        values: [1],
      },
      {
        labels: [
          { name: 'z', value: '1' },
          { name: '__name__', value: 'b' },
        ],
        timestamps: [2],
        values: [2],
      },
    ]);
    const s = decodeRemoteWriteV1(body);
    const b = decodeRemoteWriteV1(body, undefined, 'bytes');
    expect(b.seriesCount).toBe(2);
    expect(b.keys).toEqual(s.keys);
    expect(b.labels(1)).toEqual(s.labels(1));
  });
});

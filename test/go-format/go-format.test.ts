/**
 * src/go-format against what Go's strconv prints, taken from Go itself:
 * test/go-format/testdata/go-outputs.json, written by `go run scripts/go-format-fixture.go`.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFloatF, formatFloatG, formatFloatGPrecision, goQuote } from '../../src/go-format/index.js';

interface Fixture {
  floats: { bits: string; f: string; g: string; g2: string; g6: string }[];
  quotes: { in: number[]; out: string }[];
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', 'go-outputs.json'), 'utf8')) as Fixture;

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt('0x' + hex));
  return view.getFloat64(0);
}

describe('Go float formatting', () => {
  const cases = fixture.floats.map((c) => ({ ...c, v: fromBits(c.bits) }));

  it("formatFloatF is strconv.FormatFloat(v, 'f', -1, 64)", () => {
    for (const c of cases) expect([c.bits, formatFloatF(c.v)]).toEqual([c.bits, c.f]);
  });

  it("formatFloatG is strconv.FormatFloat(v, 'g', -1, 64), also %v", () => {
    for (const c of cases) expect([c.bits, formatFloatG(c.v)]).toEqual([c.bits, c.g]);
  });

  it("formatFloatGPrecision is strconv.FormatFloat(v, 'g', p, 64)", () => {
    for (const c of cases) {
      expect([c.bits, formatFloatGPrecision(c.v, 2)]).toEqual([c.bits, c.g2]);
      expect([c.bits, formatFloatGPrecision(c.v, 6)]).toEqual([c.bits, c.g6]);
    }
  });
});

describe('Go string quoting', () => {
  it('goQuote is strconv.Quote', () => {
    for (const c of fixture.quotes) {
      const s = String.fromCodePoint(...c.in);
      expect([c.in, goQuote(s)]).toEqual([c.in, c.out]);
    }
  });
});

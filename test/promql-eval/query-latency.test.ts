/**
 * The shortcuts that keep repeated dashboard queries cheap must not change answers: the part
 * reader's block cache, the parsed-query cache, slab-allocated step arrays, the counter fast
 * path of rate/increase, and the hand-built JSON of query results.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Part, blockCacheBytes, setBlockCacheBytes } from '../../src/storage/part.js';
import { PartWriter } from '../../src/storage/part-writer.js';
import { SampleBuffer } from '../../src/storage/samples.js';
import { parseExpr } from '../../src/promql/parser.js';
import { Engine } from '../../src/promql/engine.js';
import { StepSlab } from '../../src/promql/eval/types.js';
import { formatQueryData } from '../../src/server/query-format.js';
import { lbls, TestQuerier } from './helpers.js';

const T0 = Date.UTC(2026, 10, 1);
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
  setBlockCacheBytes(32 * 1024 * 1024);
});

/** A part of `series` ids with n samples each, 15 s apart, values drifting like node_exporter counters. */
function writePart(series: number[], n: number): Part {
  const root = mkdtempSync(join(tmpdir(), 'strata-qlat-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const final = join(root, '0000000000000001');
  const w = new PartWriter(join(root, 'tmp'), final, 'small', 0);
  for (const id of series) {
    const ts = Float64Array.from({ length: n }, (_, i) => T0 + i * 15_000 + (i % 3));
    const vs = Float64Array.from({ length: n }, (_, i) => Math.round((id * 1000 + i * 1.37 + Math.sin(i) * 5) * 100) / 100);
    w.addSeries(id, ts, vs, n);
  }
  w.finish();
  const part = Part.open(final, '0000000000000001', { verifyData: true });
  cleanups.push(() => part.retire());
  return part;
}

function read(part: Part, ids: number[], minT: number, maxT: number): Map<number, { ts: number[]; vs: number[] }> {
  const bufs = new Map<number, SampleBuffer>();
  part.collect(ids, minT, maxT, (id) => bufs.get(id) ?? bufs.set(id, new SampleBuffer(16)).get(id)!, [new Float64Array(8192), new Float64Array(8192)]);
  const out = new Map<number, { ts: number[]; vs: number[] }>();
  for (const [id, b] of bufs) out.set(id, { ts: [...b.timestamps.subarray(0, b.length)], vs: [...b.values.subarray(0, b.length)] });
  return out;
}

describe('part block cache', () => {
  const ids = Array.from({ length: 300 }, (_, i) => i * 2 + 1);

  it('answers a repeated read from the cache with the same samples', () => {
    const part = writePart(ids, 480);
    const before = blockCacheBytes();
    const first = read(part, ids, T0 + 400 * 15_000, Infinity);
    expect(blockCacheBytes()).toBeGreaterThan(before);
    const again = read(part, ids, T0 + 400 * 15_000, Infinity);
    expect(again).toEqual(first);
    expect(first.get(1)!.ts.length).toBe(80);
  });

  it('answers reads of the newest samples, in and beyond the cached tail, as an uncached read does', () => {
    const part = writePart(ids, 480);
    const ranges: [number, number][] = [
      [T0 + 450 * 15_000, Infinity], // inside the decoded tail
      [T0 + 470 * 15_000 + 1, T0 + 475 * 15_000], // inside the tail, bounded on both sides
      [T0 + 300 * 15_000, T0 + 420 * 15_000], // reaches before the tail
    ];
    read(part, ids, -Infinity, Infinity); // fills the cache
    const cached = ranges.map(([lo, hi]) => read(part, ids, lo, hi));
    setBlockCacheBytes(0);
    const direct = ranges.map(([lo, hi]) => read(part, ids, lo, hi));
    expect(cached).toEqual(direct);
    expect(direct[0]!.get(1)!.ts.length).toBe(30);
    expect(direct[1]!.get(1)!.ts.length).toBe(5);
  });

  it('keeps only the samples inside the asked range, at both ends of a block', () => {
    const part = writePart([7], 480);
    const lo = T0 + 100 * 15_000;
    const hi = T0 + 119 * 15_000 + 2;
    const got = read(part, [7], lo, hi).get(7)!;
    expect(got.ts.length).toBe(20);
    expect(got.ts.every((t) => t >= lo && t <= hi)).toBe(true);
  });

  it('stays within its byte budget and still reads correctly with the cache off', () => {
    setBlockCacheBytes(64 * 1024);
    const part = writePart(ids, 480);
    const cached = read(part, ids, -Infinity, Infinity);
    expect(blockCacheBytes()).toBeLessThanOrEqual(64 * 1024);
    setBlockCacheBytes(0);
    expect(read(part, ids, -Infinity, Infinity)).toEqual(cached);
  });

  it("drops a part's blocks when the part is released", () => {
    const part = writePart(ids, 200);
    read(part, ids, -Infinity, Infinity);
    const held = blockCacheBytes();
    expect(held).toBeGreaterThan(0);
    part.retire();
    expect(blockCacheBytes()).toBeLessThan(held);
  });

  it('rejects a negative budget', () => {
    expect(() => setBlockCacheBytes(-1)).toThrow(RangeError);
  });
});

describe('parsed query cache', () => {
  it('returns the same tree for the same text', () => {
    const a = parseExpr('sum(rate(node_cpu_seconds_total{mode!="idle"}[5m])) by (instance)');
    expect(parseExpr('sum(rate(node_cpu_seconds_total{mode!="idle"}[5m])) by (instance)')).toBe(a);
  });

  it('still reports a parse error every time', () => {
    expect(() => parseExpr('sum(')).toThrow();
    expect(() => parseExpr('sum(')).toThrow();
  });
});

describe('step slab', () => {
  it('hands out disjoint, zeroed step arrays and reuses a returned one', () => {
    const slab = new StepSlab(4, 2);
    const a = slab.series(lbls({ a: '1' }));
    a.values.fill(7);
    a.present.fill(1);
    const b = slab.series(lbls({ a: '2' }));
    expect([...b.values]).toEqual([0, 0, 0, 0]);
    slab.giveBack(b);
    const c = slab.series(lbls({ a: '3' }));
    expect(c.values.byteOffset).toBe(b.values.byteOffset);
    const d = slab.series(lbls({ a: '4' })); // past the first buffer
    d.values[0] = 1;
    expect([...a.values]).toEqual([7, 7, 7, 7]);
    expect([...c.present]).toEqual([0, 0, 0, 0]);
  });
});

describe('rate over counters', () => {
  it('counts a reset inside the window and none outside it', async () => {
    const q = new TestQuerier()
      .add({ __name__: 'c_total', i: 'reset' }, [
        [0, 10],
        [15_000, 20],
        [30_000, 5],
        [45_000, 15],
        [60_000, 25],
      ])
      .addLinear({ __name__: 'c_total', i: 'steady' }, 15_000, 10, 10, 5);
    const r = await new Engine().rangeQuery(q, 'increase(c_total[1m])', 60_000, 60_000, 15_000);
    if (r.value.type !== 'matrix') throw new Error('want a matrix');
    const byI = new Map(r.value.series.map((s) => [s.labels.find((l) => l.name === 'i')!.value, s.values[0]]));
    // Window (0, 60 s]: 20, reset to 5 (the 20 before it counts), 15, 25 → 25 over 45 s of
    // samples, extrapolated by 15 s to the window start: × 60/45.
    expect(byI.get('reset')).toBeCloseTo(25 * (60 / 45), 9);
    expect(byI.get('steady')).toBeCloseTo(30 * (60 / 45), 9);
  });
});

describe('query result JSON', () => {
  it('escapes label values that need it exactly as JSON.stringify does', () => {
    const labels = lbls({ __name__: 'm', a: 'quote " back \\ nl \n tab \t', b: '<tag>&', c: 'ü €', d: '\u2028' });
    const body = formatQueryData({ type: 'vector', samples: [{ labels, t: 1_700_000_000_123, v: 0.5 }] });
    const parsed = JSON.parse(body) as { result: { metric: Record<string, string>; value: [number, string] }[] };
    expect(parsed.result[0]!.metric).toEqual(Object.fromEntries(labels.map((l) => [l.name, l.value])));
    expect(body).toContain(JSON.stringify('quote " back \\ nl \n tab \t'));
    expect(parsed.result[0]!.value).toEqual([1700000000.123, '0.5']);
  });

  it('writes every point of a matrix with its own timestamp', () => {
    const ts = Float64Array.from([1000, 16_000, 31_500]);
    const body = formatQueryData({
      type: 'matrix',
      series: [
        { labels: lbls({ a: '1' }), timestamps: ts, values: Float64Array.from([1, NaN, Infinity]) },
        { labels: lbls({ a: '2' }), timestamps: ts.subarray(1), values: Float64Array.from([-0, 1e-7]) },
      ],
    });
    expect(body).toBe(
      '{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[16,"NaN"],[31.500,"+Inf"]]},' +
        '{"metric":{"a":"2"},"values":[[16,"-0"],[31.500,"1e-07"]]}]}',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT, type LabelMatcher, type Labels } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { DAY, ls, matcher, useTempIndex } from './helpers.js';

/** Behaviours that depend on postings and label sets being stored in packed blocks. */
const T = DEFAULT_TENANT;
const D0 = 20000;
const m = matcher;
const fx = useTempIndex('packed');

const nodeSeries = (from: number, to: number): Labels[] => {
  const out: Labels[] = [];
  for (let i = from; i < to; i++) out.push(ls(`node_m${i % 7}`, { instance: `h${i >> 6}`, job: 'node', cpu: String(i % 8), i: String(i) }));
  return out;
};

describe('an index of packed blocks', () => {
  it('answers for thousands of series created over many batches as one list would', () => {
    const ids: number[] = [];
    for (let b = 0; b < 12; b++) ids.push(...fx.idx.resolve(T, nodeSeries(b * 500, b * 500 + 500), D0));
    expect(fx.idx.select(T, [m('job', '=', 'node')], -Infinity, Infinity)).toEqual(ids);
    expect(fx.idx.select(T, [m('job', '=', 'node')], D0 * DAY, D0 * DAY + 1)).toEqual(ids);
    expect(fx.idx.select(T, [m('__name__', '=', 'node_m3'), m('cpu', '!=', '3')], -Infinity, Infinity)).toEqual(
      ids.filter((_, i) => i % 7 === 3 && i % 8 !== 3),
    );
    expect(fx.idx.seriesCount(T)).toBe(6000);
    expect(fx.idx.tsdbStatus(T, { topN: 1 }).seriesCountByLabelValuePair).toEqual([{ name: 'job=node', value: 6000 }]);
    expect(fx.idx.checkConsistency()).toEqual([]);
  });

  it('records old series on a new day in any order, once each', () => {
    const ids = fx.idx.resolve(T, nodeSeries(0, 3000), D0);
    const shuffled = ids.map((_, i) => ids[(i * 7919) % ids.length]!);
    for (let k = 0; k < shuffled.length; k += 400) fx.idx.addToDay(T, D0 + 1, shuffled.slice(k, k + 400));
    fx.reopen(); // forget the in-memory day marks: LMDB must dedupe
    fx.idx.addToDay(T, D0 + 1, shuffled.slice(0, 1000));
    expect(fx.idx.select(T, [m('job', '=', 'node')], (D0 + 1) * DAY, (D0 + 1) * DAY)).toEqual(ids);
    expect(fx.idx.tsdbStatus(T, { date: D0 + 1 }).totalSeries).toBe(3000);
    expect(fx.idx.checkConsistency()).toEqual([]);
  });

  it('deletes series from the middle of big lists, on every day they were seen', () => {
    const ids = fx.idx.resolve(T, nodeSeries(0, 4000), D0);
    fx.idx.addToDay(T, D0 + 1, ids);
    const gone = fx.idx.deleteSeries(T, [m('cpu', '=~', '3|5')]);
    expect(gone).toHaveLength(1000);
    const left = ids.filter((_, i) => i % 8 !== 3 && i % 8 !== 5);
    expect(fx.idx.select(T, [m('job', '=', 'node')], -Infinity, Infinity)).toEqual(left);
    expect(fx.idx.select(T, [m('job', '=', 'node')], (D0 + 1) * DAY, (D0 + 1) * DAY)).toEqual(left);
    expect(fx.idx.labelValues(T, 'cpu', [], -Infinity, Infinity)).toEqual(['0', '1', '2', '4', '6', '7']);
    expect(fx.idx.checkConsistency()).toEqual([]);
    const [again] = fx.idx.resolve(T, [nodeSeries(3, 4)[0]!], D0);
    expect(again).toBeGreaterThan(Math.max(...ids));
  });

  it('keeps values with NUL bytes apart from their neighbours and in byte order', () => {
    const vals = ['a', 'a\u0000', 'a\u0000b', 'a\u0000\u0000', 'ab', '\u0000'];
    const ids = fx.idx.resolve(
      T,
      vals.map((v) => ls('n', { v })),
      D0,
    );
    vals.forEach((v, i) => {
      expect(fx.idx.select(T, [m('v', '=', v)], -Infinity, Infinity)).toEqual([ids[i]]);
      expect(fx.idx.select(T, [m('v', '=', v)], D0 * DAY, D0 * DAY)).toEqual([ids[i]]);
    });
    const byteOrder = [...vals].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(fx.idx.labelValues(T, 'v', [], -Infinity, Infinity)).toEqual(byteOrder);
    expect(fx.idx.labelValues(T, 'v', [], -Infinity, Infinity, 3)).toEqual(byteOrder.slice(0, 3));
    expect(fx.idx.select(T, [m('v', '=~', 'a\u0000.*')], -Infinity, Infinity)).toEqual([ids[1], ids[2], ids[3]]);
    expect(fx.idx.labelsOf(ids[2]!)).toEqual(ls('n', { v: 'a\u0000b' }));
    expect(fx.idx.checkConsistency()).toEqual([]);
  });

  it('gives each tenant its own lists and label blocks', () => {
    const other = { accountID: 1, projectID: 2 };
    const a = fx.idx.resolve(T, nodeSeries(0, 50), D0);
    const b = fx.idx.resolve(other, nodeSeries(0, 50), D0);
    const c = fx.idx.resolve(T, nodeSeries(50, 60), D0);
    expect(fx.idx.select(T, [m('job', '=', 'node')], -Infinity, Infinity)).toEqual([...a, ...c]);
    expect(fx.idx.select(other, [m('job', '=', 'node')], D0 * DAY, D0 * DAY)).toEqual(b);
    expect(fx.idx.tenantOf(b[10]!)).toEqual(other);
    expect(fx.idx.tenantOf(c[0]!)).toEqual(T);
    expect(() => fx.idx.addToDay(other, D0 + 1, [a[0]!])).toThrow(/unknown series id/);
  });
});

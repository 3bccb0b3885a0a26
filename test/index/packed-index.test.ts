import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT, type LabelMatcher, type Labels } from '../../src/model/index.js';
import { LabelIndex } from '../../src/index/index.js';
import { DAY, ls, tempDir } from './helpers.js';

/** Behaviours that depend on postings and label sets being stored in packed blocks. */
const T = DEFAULT_TENANT;
const D0 = 20000;
const m = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });

let work: { dir: string; cleanup: () => void };
let idx: LabelIndex;
beforeEach(() => {
  work = tempDir('packed');
  idx = LabelIndex.open(work.dir);
});
afterEach(() => {
  idx.close();
  work.cleanup();
});

const nodeSeries = (from: number, to: number): Labels[] => {
  const out: Labels[] = [];
  for (let i = from; i < to; i++) out.push(ls(`node_m${i % 7}`, { instance: `h${i >> 6}`, job: 'node', cpu: String(i % 8), i: String(i) }));
  return out;
};

describe('an index of packed blocks', () => {
  it('answers for thousands of series created over many batches as one list would', () => {
    const ids: number[] = [];
    for (let b = 0; b < 12; b++) ids.push(...idx.resolve(T, nodeSeries(b * 500, b * 500 + 500), D0));
    expect(idx.select(T, [m('job', '=', 'node')], -Infinity, Infinity)).toEqual(ids);
    expect(idx.select(T, [m('job', '=', 'node')], D0 * DAY, D0 * DAY + 1)).toEqual(ids);
    expect(idx.select(T, [m('__name__', '=', 'node_m3'), m('cpu', '!=', '3')], -Infinity, Infinity)).toEqual(ids.filter((_, i) => i % 7 === 3 && i % 8 !== 3));
    expect(idx.seriesCount(T)).toBe(6000);
    expect(idx.tsdbStatus(T, { topN: 1 }).seriesCountByLabelValuePair).toEqual([{ name: 'job=node', value: 6000 }]);
    expect(idx.checkConsistency()).toEqual([]);
  });

  it('records old series on a new day in any order, once each', () => {
    const ids = idx.resolve(T, nodeSeries(0, 3000), D0);
    const shuffled = ids.map((_, i) => ids[(i * 7919) % ids.length]!);
    for (let k = 0; k < shuffled.length; k += 400) idx.addToDay(T, D0 + 1, shuffled.slice(k, k + 400));
    idx.close();
    idx = LabelIndex.open(work.dir); // forget the in-memory day marks: LMDB must dedupe
    idx.addToDay(T, D0 + 1, shuffled.slice(0, 1000));
    expect(idx.select(T, [m('job', '=', 'node')], (D0 + 1) * DAY, (D0 + 1) * DAY)).toEqual(ids);
    expect(idx.tsdbStatus(T, { date: D0 + 1 }).totalSeries).toBe(3000);
    expect(idx.checkConsistency()).toEqual([]);
  });

  it('deletes series from the middle of big lists, on every day they were seen', () => {
    const ids = idx.resolve(T, nodeSeries(0, 4000), D0);
    idx.addToDay(T, D0 + 1, ids);
    const gone = idx.deleteSeries(T, [m('cpu', '=~', '3|5')]);
    expect(gone).toHaveLength(1000);
    const left = ids.filter((_, i) => i % 8 !== 3 && i % 8 !== 5);
    expect(idx.select(T, [m('job', '=', 'node')], -Infinity, Infinity)).toEqual(left);
    expect(idx.select(T, [m('job', '=', 'node')], (D0 + 1) * DAY, (D0 + 1) * DAY)).toEqual(left);
    expect(idx.labelValues(T, 'cpu', [], -Infinity, Infinity)).toEqual(['0', '1', '2', '4', '6', '7']);
    expect(idx.checkConsistency()).toEqual([]);
    const [again] = idx.resolve(T, [nodeSeries(3, 4)[0]!], D0);
    expect(again).toBeGreaterThan(Math.max(...ids));
  });

  it('keeps values with NUL bytes apart from their neighbours and in byte order', () => {
    const vals = ['a', 'a\u0000', 'a\u0000b', 'a\u0000\u0000', 'ab', '\u0000'];
    const ids = idx.resolve(T, vals.map((v) => ls('n', { v })), D0);
    vals.forEach((v, i) => {
      expect(idx.select(T, [m('v', '=', v)], -Infinity, Infinity)).toEqual([ids[i]]);
      expect(idx.select(T, [m('v', '=', v)], D0 * DAY, D0 * DAY)).toEqual([ids[i]]);
    });
    const byteOrder = [...vals].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(idx.labelValues(T, 'v', [], -Infinity, Infinity)).toEqual(byteOrder);
    expect(idx.labelValues(T, 'v', [], -Infinity, Infinity, 3)).toEqual(byteOrder.slice(0, 3));
    expect(idx.select(T, [m('v', '=~', 'a\u0000.*')], -Infinity, Infinity)).toEqual([ids[1], ids[2], ids[3]]);
    expect(idx.labelsOf(ids[2]!)).toEqual(ls('n', { v: 'a\u0000b' }));
    expect(idx.checkConsistency()).toEqual([]);
  });

  it('gives each tenant its own lists and label blocks', () => {
    const other = { accountID: 1, projectID: 2 };
    const a = idx.resolve(T, nodeSeries(0, 50), D0);
    const b = idx.resolve(other, nodeSeries(0, 50), D0);
    const c = idx.resolve(T, nodeSeries(50, 60), D0);
    expect(idx.select(T, [m('job', '=', 'node')], -Infinity, Infinity)).toEqual([...a, ...c]);
    expect(idx.select(other, [m('job', '=', 'node')], D0 * DAY, D0 * DAY)).toEqual(b);
    expect(idx.tenantOf(b[10]!)).toEqual(other);
    expect(idx.tenantOf(c[0]!)).toEqual(T);
    expect(() => idx.addToDay(other, D0 + 1, [a[0]!])).toThrow(/unknown series id/);
  });
});

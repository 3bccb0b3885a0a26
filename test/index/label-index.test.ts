import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT, formatLabels, labelsKey, type LabelMatcher, type Labels } from '../../src/model/index.js';
import { IndexError, LabelIndex } from '../../src/index/index.js';
import { RegexError } from '../../src/regex/index.js';
import { DAY, ls, tempDir } from './helpers.js';

const T = DEFAULT_TENANT;
const OTHER = { accountID: 7, projectID: 3 };
const D0 = 20000; // a day number (2024-10-04)

let dir: string;
let cleanup: () => void;
let idx: LabelIndex;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('unit'));
  idx = LabelIndex.open(dir);
});
afterEach(() => {
  idx.close();
  cleanup();
});

const m = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });
const names = (ids: number[]) => ids.map((id) => formatLabels(idx.labelsOf(id))).sort();
const allTime = (ms: LabelMatcher[]) => names(idx.select(T, ms, -Infinity, Infinity));

describe('series ids', () => {
  it('gives the same id to the same label set and different ids to different ones', () => {
    const [a, b, a2] = idx.resolve(T, [ls('up', { job: 'a' }), ls('up', { job: 'b' }), ls('up', { job: 'a' })], D0);
    expect(a).toBe(a2);
    expect(a).not.toBe(b);
    expect(idx.resolve(T, [ls('up', { job: 'a' })], D0)).toEqual([a]);
  });

  it('keeps tenants apart: the same labels in two tenants are two series', () => {
    const [a] = idx.resolve(T, [ls('up')], D0);
    const [b] = idx.resolve(OTHER, [ls('up')], D0);
    expect(a).not.toBe(b);
    expect(idx.select(OTHER, [m('__name__', '=', 'up')], -Infinity, Infinity)).toEqual([b]);
    expect(idx.seriesCount(T)).toBe(1);
    expect(idx.seriesCount(OTHER)).toBe(1);
    expect(idx.tenantOf(b!)).toEqual(OTHER);
  });

  it('returns labels for an id, sorted, with empty values dropped', () => {
    const [id] = idx.resolve(
      T,
      [
        [
          { name: 'z', value: '1' },
          { name: '__name__', value: 'm' },
          { name: 'e', value: '' },
        ],
      ],
      D0,
    );
    expect(idx.labelsOf(id!)).toEqual(ls('m', { z: '1' }));
  });

  it('answers cachedId for resolved label sets and not for unknown ones', () => {
    const l = ls('up', { job: 'a' });
    const [id] = idx.resolve(OTHER, [l], D0);
    expect(idx.cachedId(OTHER, labelsKey(l))).toBe(id);
    expect(idx.cachedId(T, labelsKey(l))).toBeUndefined();
  });

  it('without a label-set cache (seriesCacheSize 0) finds known sets in LMDB: same ids, also in one batch and on a new day', () => {
    idx.close();
    idx = LabelIndex.open(dir, { seriesCacheSize: 0 });
    const [a, b, a2] = idx.resolve(T, [ls('up', { job: 'a' }), ls('up', { job: 'b' }), ls('up', { job: 'a' })], D0);
    expect(a).toBe(a2);
    expect(a).not.toBe(b);
    expect(idx.cachedId(T, labelsKey(ls('up', { job: 'a' })))).toBeUndefined();
    expect(idx.resolve(T, [ls('up', { job: 'b' }), ls('up', { job: 'a' })], D0 + 1)).toEqual([b, a]);
    expect(idx.select(T, [m('job', '=', 'a')], (D0 + 1) * DAY, (D0 + 1) * DAY + 1000)).toEqual([a]);
    expect(idx.seriesCount()).toBe(2);
  });

  it('seriesEntries gives what seriesEntry gives for each of many ascending ids, skipping unknown ones', () => {
    const created: number[] = [];
    for (let b = 0; b < 5; b++) {
      const sets = Array.from({ length: 70 }, (_, i) => ls('m', { batch: `${b}`, i: `${i}`, pad: 'x'.repeat(i % 3 === 0 ? 200 : 1) }));
      created.push(...idx.resolve(b % 2 === 0 ? T : OTHER, sets, D0));
    }
    const ids = [0, ...created.filter((id) => id % 3 !== 1), created[created.length - 1]! + 5];
    const want = ids.flatMap((id) => {
      const e = id >= 1 && id <= created[created.length - 1]! ? idx.seriesEntry(id) : undefined;
      return e ? [{ id, ...e }] : [];
    });
    expect(want.length).toBe(ids.length - 2);
    expect([...idx.seriesEntries(ids)]).toEqual(want);
    expect([...idx.seriesEntries([])]).toEqual([]);
  });

  it('keeps ids across a restart and continues numbering after them', () => {
    const ids = idx.resolve(T, [ls('a'), ls('b'), ls('c')], D0);
    idx.close();
    idx = LabelIndex.open(dir);
    expect(idx.resolve(T, [ls('b'), ls('a'), ls('c')], D0)).toEqual([ids[1], ids[0], ids[2]]);
    const [d] = idx.resolve(T, [ls('d')], D0);
    expect(d).toBeGreaterThan(Math.max(...ids));
  });

  it('never reuses the id of a deleted series, even after a restart', () => {
    const [a] = idx.resolve(T, [ls('gone')], D0);
    expect(idx.deleteSeries(T, [m('__name__', '=', 'gone')])).toEqual([a]);
    idx.close();
    idx = LabelIndex.open(dir);
    expect(idx.deletedIds().has(a!)).toBe(true);
    const [again] = idx.resolve(T, [ls('gone')], D0);
    expect(again).toBeGreaterThan(a!);
  });

  it('rejects a bad series with IndexError and writes nothing from its batch', () => {
    const before = idx.peekNextId();
    const dup = [
      { name: '__name__', value: 'x' },
      { name: 'a', value: '1' },
      { name: 'a', value: '2' },
    ];
    expect(() => idx.resolve(T, [ls('fine'), dup], D0)).toThrow(IndexError);
    expect(() => idx.resolve(T, [ls('x', { big: 'v'.repeat(5000) })], D0)).toThrow(/too long/);
    expect(() => idx.resolve(T, [[{ name: '', value: 'v' }]], D0)).toThrow(/label name/);
    expect(() => idx.resolve(T, [[]], D0)).toThrow(IndexError);
    expect(idx.peekNextId()).toBe(before);
    expect(idx.select(T, [m('__name__', '=', 'fine')], -Infinity, Infinity)).toEqual([]);
  });

  it('stores a label set too long to be an LMDB key', () => {
    const big: Record<string, string> = {};
    for (let i = 0; i < 10; i++) big[`l${i}`] = String(i).repeat(1000);
    const [a] = idx.resolve(T, [ls('long', big)], D0);
    const [b] = idx.resolve(T, [ls('long', big)], D0);
    expect(a).toBe(b);
    expect(idx.labelsOf(a!)).toEqual(ls('long', big));
  });

  it('backs up to a copy that opens with the same series and ids', async () => {
    const ids = idx.resolve(T, [ls('a'), ls('b', { x: '1' })], D0);
    const copy = tempDir('backup');
    try {
      await idx.backup(copy.dir, true);
      const restored = LabelIndex.open(copy.dir);
      expect(restored.select(T, [], -Infinity, Infinity)).toEqual(ids);
      expect(restored.labelsOf(ids[1]!)).toEqual(ls('b', { x: '1' }));
      expect(restored.resolve(T, [ls('c')], D0)[0]).toBeGreaterThan(Math.max(...ids));
      restored.close();
    } finally {
      copy.cleanup();
    }
  });

  it('rejects an unknown id in addToDay and labelsOf', () => {
    expect(() => idx.addToDay(T, D0, [12345])).toThrow(IndexError);
    expect(() => idx.labelsOf(12345)).toThrow(/unknown series id 12345/);
  });
});

describe('matchers select series as Prometheus does', () => {
  beforeEach(() => {
    idx.resolve(
      T,
      [
        ls('http_requests_total', { job: 'api', code: '200', path: '/a' }),
        ls('http_requests_total', { job: 'api', code: '500', path: '/b' }),
        ls('http_requests_total', { job: 'web', code: '200' }),
        ls('up', { job: 'api', instance: 'host-1:9090' }),
        ls('up', { job: 'web', instance: 'host-2:9090' }),
        ls('up', { job: 'db', instance: 'Host-3' }),
        ls('temp', { city: 'Zürich', unit: 'c' }),
        ls('temp', { city: '東京', unit: 'c' }),
        ls('multi', { text: 'line1\nline2' }),
      ],
      D0,
    );
  });

  // Expected results as Prometheus returns them for the same series (label absent ≡ value "").
  const CASES: [string, LabelMatcher[], string[]][] = [
    ['= literal', [m('job', '=', 'web')], ['http_requests_total{code="200", job="web"}', 'up{instance="host-2:9090", job="web"}']],
    ['=~ alternation', [m('__name__', '=', 'up'), m('job', '=~', 'api|db')], ['up{instance="Host-3", job="db"}', 'up{instance="host-1:9090", job="api"}']],
    ['=~ prefix', [m('instance', '=~', 'host-.*')], ['up{instance="host-1:9090", job="api"}', 'up{instance="host-2:9090", job="web"}']],
    [
      '=~ (?i)',
      [m('instance', '=~', '(?i)host-.*')],
      ['up{instance="Host-3", job="db"}', 'up{instance="host-1:9090", job="api"}', 'up{instance="host-2:9090", job="web"}'],
    ],
    [
      '=~ \\d',
      [m('code', '=~', '\\d00')],
      [
        'http_requests_total{code="200", job="api", path="/a"}',
        'http_requests_total{code="200", job="web"}',
        'http_requests_total{code="500", job="api", path="/b"}',
      ],
    ],
    ['=~ is anchored', [m('code', '=~', '0')], []],
    [
      '=~ .+ means "has the label"',
      [m('path', '=~', '.+')],
      ['http_requests_total{code="200", job="api", path="/a"}', 'http_requests_total{code="500", job="api", path="/b"}'],
    ],
    ['=~ .* matches everything', [m('__name__', '=~', 'temp'), m('nothere', '=~', '.*')], ['temp{city="Zürich", unit="c"}', 'temp{city="東京", unit="c"}']],
    ['="" matches series without the label', [m('__name__', '=', 'http_requests_total'), m('path', '=', '')], ['http_requests_total{code="200", job="web"}']],
    [
      '!="" matches series with the label',
      [m('__name__', '=', 'http_requests_total'), m('path', '!=', '')],
      ['http_requests_total{code="200", job="api", path="/a"}', 'http_requests_total{code="500", job="api", path="/b"}'],
    ],
    [
      '!= keeps series without the label',
      [m('__name__', '=~', 'up|temp'), m('job', '!=', 'api')],
      ['temp{city="Zürich", unit="c"}', 'temp{city="東京", unit="c"}', 'up{instance="Host-3", job="db"}', 'up{instance="host-2:9090", job="web"}'],
    ],
    ['!~ with alternation', [m('__name__', '=', 'up'), m('job', '!~', 'api|web')], ['up{instance="Host-3", job="db"}']],
    [
      '=~ that matches empty also picks series without the label',
      [m('__name__', '=', 'http_requests_total'), m('path', '=~', '/a|')],
      ['http_requests_total{code="200", job="api", path="/a"}', 'http_requests_total{code="200", job="web"}'],
    ],
    [
      '!~ "" excludes series without the label',
      [m('__name__', '=', 'http_requests_total'), m('path', '!~', '')],
      ['http_requests_total{code="200", job="api", path="/a"}', 'http_requests_total{code="500", job="api", path="/b"}'],
    ],
    ['!~ .* matches nothing', [m('__name__', '=', 'up'), m('job', '!~', '.*')], []],
    [
      '!~ .+ keeps only series without the label',
      [m('__name__', '=~', '.+'), m('job', '!~', '.+')],
      ['multi{text="line1\\nline2"}', 'temp{city="Zürich", unit="c"}', 'temp{city="東京", unit="c"}'],
    ],
    ['UTF-8 values', [m('city', '=~', '東.*')], ['temp{city="東京", unit="c"}']],
    ['UTF-8 . is one character', [m('city', '=~', '..')], ['temp{city="東京", unit="c"}']],
    ['. matches a newline', [m('text', '=~', 'line1.line2')], ['multi{text="line1\\nline2"}']],
    [
      'only negative matchers start from all series',
      [m('job', '!=', 'api'), m('unit', '!=', 'c'), m('text', '=', '')],
      ['http_requests_total{code="200", job="web"}', 'up{instance="Host-3", job="db"}', 'up{instance="host-2:9090", job="web"}'],
    ],
    ['no matchers select everything', [], expect.any(Array) as unknown as string[]],
  ];

  for (const [title, ms, want] of CASES) {
    it(title, () => {
      const got = allTime(ms);
      if (Array.isArray(want)) expect(got).toEqual([...want].sort());
      else expect(got).toHaveLength(9);
    });
  }

  it('returns ascending ids and honours limit', () => {
    const ids = idx.select(T, [m('__name__', '=~', '.+')], -Infinity, Infinity);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(idx.select(T, [m('__name__', '=~', '.+')], -Infinity, Infinity, 4)).toEqual(ids.slice(0, 4));
  });

  it('throws RegexError naming an invalid regex', () => {
    expect(() => idx.select(T, [m('job', '=~', 'a(b')], -Infinity, Infinity)).toThrow(RegexError);
    expect(() => idx.select(T, [m('job', '=~', '(?=x)')], -Infinity, Infinity)).toThrow(/"\(\?=x\)"/);
  });

  it('lists label names and values, all or for matching series, sorted and limited', () => {
    expect(idx.labelNames(T, [], -Infinity, Infinity)).toEqual(['__name__', 'city', 'code', 'instance', 'job', 'path', 'text', 'unit']);
    expect(idx.labelNames(T, [[m('__name__', '=', 'up')]], -Infinity, Infinity)).toEqual(['__name__', 'instance', 'job']);
    expect(idx.labelNames(T, [], -Infinity, Infinity, 2)).toEqual(['__name__', 'city']);
    expect(idx.labelValues(T, 'job', [], -Infinity, Infinity)).toEqual(['api', 'db', 'web']);
    expect(idx.labelValues(T, 'job', [[m('__name__', '=', 'up'), m('instance', '=~', 'host.*')]], -Infinity, Infinity)).toEqual(['api', 'web']);
    expect(idx.labelValues(T, 'job', [[m('code', '=', '500')], [m('instance', '=', 'Host-3')]], -Infinity, Infinity)).toEqual(['api', 'db']);
    expect(idx.labelValues(T, '__name__', [], -Infinity, Infinity, 1)).toEqual(['http_requests_total']);
    expect(idx.labelValues(T, 'nothere', [], -Infinity, Infinity)).toEqual([]);
    expect(idx.labelValues(OTHER, 'job', [], -Infinity, Infinity)).toEqual([]);
  });

  it('deleted series vanish from select, label names and values', () => {
    const gone = idx.deleteSeries(T, [m('__name__', '=', 'temp')]);
    expect(gone).toHaveLength(2);
    expect(allTime([m('__name__', '=', 'temp')])).toEqual([]);
    expect(idx.labelNames(T, [], -Infinity, Infinity)).not.toContain('city');
    expect(idx.labelValues(T, '__name__', [], D0 * DAY, D0 * DAY + 1000)).not.toContain('temp');
    expect([...idx.deletedIds()].sort()).toEqual([...gone].sort());
    expect(idx.seriesCount(T)).toBe(7);
    expect(idx.seriesCount()).toBe(7);
    expect(() => idx.deleteSeries(T, [])).toThrow(IndexError);
  });

  it('reports cardinality with VictoriaMetrics field names', () => {
    const s = idx.tsdbStatus(T, { topN: 2, focusLabel: 'job' });
    expect(s.totalSeries).toBe(9);
    expect(s.totalLabelValuePairs).toBe(4 + 4 + 3 + 3 + 3 + 3 + 3 + 3 + 2);
    expect(s.seriesCountByMetricName).toEqual([
      { name: 'http_requests_total', value: 3 },
      { name: 'up', value: 3 },
    ]);
    expect(s.seriesCountByLabelName).toEqual([
      { name: '__name__', value: 9 },
      { name: 'job', value: 6 },
    ]);
    expect(s.seriesCountByFocusLabelValue).toEqual([
      { name: 'api', value: 3 },
      { name: 'web', value: 2 },
    ]);
    // Ties break by name, as VictoriaMetrics sorts them.
    expect(s.seriesCountByLabelValuePair).toEqual([
      { name: '__name__=http_requests_total', value: 3 },
      { name: '__name__=up', value: 3 },
    ]);
    expect(s.labelValueCountByLabelName[0]).toEqual({ name: '__name__', value: 4 });
    const filtered = idx.tsdbStatus(T, { matchers: [[m('__name__', '=', 'up')]], date: D0 });
    expect(filtered.totalSeries).toBe(3);
    expect(filtered.seriesCountByMetricName).toEqual([{ name: 'up', value: 3 }]);
    expect(idx.tsdbStatus(T, { date: D0 + 1 }).totalSeries).toBe(0);
  });
});

describe('per-day postings', () => {
  it('a query over one day sees only the series active that day', () => {
    const [old] = idx.resolve(T, [ls('m', { v: 'old' })], D0);
    const [both] = idx.resolve(T, [ls('m', { v: 'both' })], D0);
    idx.addToDay(T, D0 + 30, [both!]);
    const [fresh] = idx.resolve(T, [ls('m', { v: 'new' })], D0 + 30);
    const today = (D0 + 30) * DAY;
    expect(idx.select(T, [m('__name__', '=', 'm')], today + 3600_000, today + 7200_000)).toEqual([both, fresh]);
    expect(idx.select(T, [m('__name__', '=', 'm')], D0 * DAY, D0 * DAY + 1)).toEqual([old, both]);
    expect(idx.select(T, [m('__name__', '=', 'm')], D0 * DAY, today)).toEqual([old, both, fresh]);
    expect(idx.select(T, [m('__name__', '=', 'm')], 0, today + DAY * 400)).toEqual([old, both, fresh]);
    expect(idx.select(T, [m('v', '!=', 'old')], today, today + 1)).toEqual([both, fresh]);
    expect(idx.labelValues(T, 'v', [], today, today + 1)).toEqual(['both', 'new']);
    expect(idx.labelValues(T, 'v', [], (D0 + 5) * DAY, (D0 + 6) * DAY - 1)).toEqual([]);
  });

  it('resolve records an already known series on a new day', () => {
    const [a] = idx.resolve(T, [ls('m')], D0);
    expect(idx.resolve(T, [ls('m')], D0 + 1)).toEqual([a]);
    expect(idx.select(T, [], (D0 + 1) * DAY, (D0 + 1) * DAY)).toEqual([a]);
    idx.close();
    idx = LabelIndex.open(dir);
    expect(idx.select(T, [], (D0 + 1) * DAY, (D0 + 1) * DAY)).toEqual([a]);
  });

  it('label values come in UTF-8 byte order, as Prometheus sorts them', () => {
    idx.resolve(T, [ls('u', { v: '\u{1F600}' }), ls('u', { v: '\uFF5E' }), ls('u', { v: 'a' })], D0);
    const want = ['a', '\uFF5E', '\u{1F600}'];
    expect(idx.labelValues(T, 'v', [], -Infinity, Infinity)).toEqual(want);
    expect(idx.labelValues(T, 'v', [], D0 * DAY, D0 * DAY)).toEqual(want);
    expect(idx.labelValues(T, 'v', [[{ name: '__name__', type: '=', value: 'u' }]], -Infinity, Infinity)).toEqual(want);
  });

  it('label values with a limit over several days are the smallest ones overall', () => {
    idx.resolve(T, [ls('m', { v: 'b' }), ls('m', { v: 'd' })], D0);
    idx.resolve(T, [ls('m', { v: 'a' }), ls('m', { v: 'c' })], D0 + 1);
    expect(idx.labelValues(T, 'v', [], D0 * DAY, (D0 + 2) * DAY - 1, 2)).toEqual(['a', 'b']);
    expect(idx.labelValues(T, 'v', [], -Infinity, Infinity, 3)).toEqual(['a', 'b', 'c']);
  });

  it('addToDay is idempotent', () => {
    const [a] = idx.resolve(T, [ls('m')], D0);
    idx.addToDay(T, D0 + 2, [a!, a!]);
    idx.close();
    idx = LabelIndex.open(dir);
    idx.addToDay(T, D0 + 2, [a!]);
    expect(idx.tsdbStatus(T, { date: D0 + 2 }).totalSeries).toBe(1);
  });
});

describe('bounded caches', () => {
  it('still resolves correctly when the caches are tiny', () => {
    idx.close();
    idx = LabelIndex.open(dir, { seriesCacheSize: 4, labelsCacheSize: 4 });
    const sets: Labels[] = [];
    for (let i = 0; i < 50; i++) sets.push(ls('m', { i: String(i) }));
    const ids = idx.resolve(T, sets, D0);
    expect(idx.resolve(T, sets, D0)).toEqual(ids);
    expect(ids.map((id) => idx.labelsOf(id))).toEqual(sets);
  });
});

describe('label sets for queries', () => {
  it('serves series of many batches correctly through a small id cache and a tiny block cache', () => {
    idx.close();
    idx = LabelIndex.open(dir, { seriesCacheSize: 4, labelsCacheSize: 4, labelBlockCacheBytes: 4096 });
    // 40 batches of 25 series: one metric per batch is what a query across hosts wants.
    const all: Labels[] = [];
    const ids: number[] = [];
    for (let h = 0; h < 40; h++) {
      const sets: Labels[] = [];
      for (let i = 0; i < 25; i++) sets.push(ls(`m${i}`, { host: `h${h}` }));
      ids.push(...idx.resolve(T, sets, D0));
      all.push(...sets);
    }
    for (let round = 0; round < 2; round++) for (let k = 0; k < ids.length; k += 7) expect(idx.labelsIfKnown(ids[k]!)).toEqual(all[k]);
    idx.close();
    idx = LabelIndex.open(dir, { labelBlockCacheBytes: 0 });
    for (let k = 0; k < ids.length; k++) expect(idx.labelsIfKnown(ids[k]!)).toEqual(all[k]);
  });
});

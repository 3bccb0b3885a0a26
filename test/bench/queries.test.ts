import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateDataset, type GenConfig } from '../../bench/gen/index.js';
import { QUERIES, queryRequest } from '../../bench/queries.js';

const END = 1_700_000_100_000 - (1_700_000_100_000 % 15_000);
const CONFIG: GenConfig = {
  seed: 1,
  hosts: 4,
  scrapeIntervalMs: 15_000,
  durationMs: 2 * 3_600_000,
  endMs: END,
  churnFraction: 0.25,
  churnIntervalMs: 30 * 60_000,
  samplesPerRequest: 5_000,
  shards: 2,
};
const dataset = generateDataset(CONFIG);
const parserBuilt = existsSync(new URL('../../src/promql/generated/parser.js', import.meta.url));

describe('benchmark query list', () => {
  it('has unique ids q01, q02, … in order', () => {
    expect(QUERIES.map((q) => q.id)).toEqual(QUERIES.map((_, i) => `q${String(i + 1).padStart(2, '0')}`));
  });

  it('covers selectors, regex, sum(rate) by, topk, histogram_quantile and a group_left join', () => {
    const exprs = QUERIES.map((q) => q.expr);
    expect(exprs.some((e) => /^[a-z_0-9]+(\{[^}]*\})?$/.test(e))).toBe(true);
    expect(exprs.some((e) => e.includes('=~'))).toBe(true);
    expect(exprs.some((e) => e.includes('!~'))).toBe(true);
    expect(exprs.some((e) => /sum\(rate\(.*\[5m\]\)\) by \(/.test(e))).toBe(true);
    expect(exprs.some((e) => e.startsWith('topk('))).toBe(true);
    expect(exprs.some((e) => e.startsWith('histogram_quantile('))).toBe(true);
    expect(exprs.some((e) => e.includes('group_left'))).toBe(true);
  });

  it('has instant queries, 1 h ranges and whole-range ranges', () => {
    const windows = new Set(QUERIES.map((q) => q.window));
    expect([...windows].sort()).toEqual(['1h', 'all', 'instant']);
  });

  it('has balanced brackets and quotes in every expression', () => {
    for (const q of QUERIES) {
      let depth = 0;
      let quotes = 0;
      for (const ch of q.expr) {
        if (ch === '"') quotes++;
        if (quotes % 2 === 1) continue;
        if ('({['.includes(ch)) depth++;
        if (')}]'.includes(ch)) depth--;
        expect(depth, q.id).toBeGreaterThanOrEqual(0);
      }
      expect(depth, q.id).toBe(0);
      expect(quotes % 2, q.id).toBe(0);
    }
  });

  it.skipIf(!parserBuilt)("parses every expression with Strata's PromQL parser", async () => {
    const { parseExpr } = await import('../../src/promql/index.js');
    for (const q of QUERIES) expect(() => parseExpr(q.expr), q.id).not.toThrow();
  });

  it('asks instant queries at the last scrape round', () => {
    const r = queryRequest(
      QUERIES.find((q) => q.window === 'instant')!,
      dataset,
    );
    expect(r.path).toBe('/api/v1/query');
    expect(r.params['time']).toBe(String(END / 1000));
  });

  it('asks 1 h ranges over the last hour and whole ranges from the first scrape, about 240 steps', () => {
    const h = queryRequest(
      QUERIES.find((q) => q.window === '1h')!,
      dataset,
    );
    expect(h.path).toBe('/api/v1/query_range');
    expect(Number(h.params['end']) - Number(h.params['start'])).toBe(3600);
    expect(h.params['step']).toBe('15');
    const all = queryRequest(
      QUERIES.find((q) => q.window === 'all')!,
      dataset,
    );
    expect(Number(all.params['start'])).toBe(dataset.startMs / 1000);
    expect((3600 * 2) / Number(all.params['step'])).toBeLessThanOrEqual(240);
  });

  it('derives expected series counts from the active hosts of the data set', () => {
    const q01 = QUERIES.find((q) => q.id === 'q01')!;
    expect(q01.expectedSeries!(dataset)).toBe(CONFIG.hosts);
    const q08 = QUERIES.find((q) => q.id === 'q08')!;
    expect(q08.expectedSeries!(dataset)).toBe(4);
  });
});

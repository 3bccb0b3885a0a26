/** Which selectors the plan marks as read at one instant only (lastOnly: each series' newest sample is enough). */
import { describe, expect, it } from 'vitest';
import { parseExpr } from '../../src/promql/index.js';
import { planSelectors } from '../../src/promql/eval/index.js';

const T = 1_800_000_000_000;

function lastOnly(query: string, start = T, end = T, step = 0): boolean[] {
  const plan = planSelectors(parseExpr(query), { startMs: start, endMs: end, stepMs: step }, 300_000, 60_000);
  return [...plan.values()].map((s) => s.lastOnly);
}

describe('planSelectors lastOnly', () => {
  it('marks an instant query’s selectors, bare or under functions and aggregations', () => {
    expect(lastOnly('node_load1')).toEqual([true]);
    expect(lastOnly('count(up) by (job) + timestamp(node_load1 offset 5m)')).toEqual([true, true]);
  });

  it('leaves range vectors, subqueries and range queries whole', () => {
    expect(lastOnly('rate(x[5m])')).toEqual([false]);
    expect(lastOnly('max_over_time(x[10m:1m])')).toEqual([false]);
    expect(lastOnly('x', T - 3_600_000, T, 60_000)).toEqual([false]);
  });

  it('marks a selector pinned by @ in a range query', () => {
    expect(lastOnly('x @ 1700000000', T - 3_600_000, T, 60_000)).toEqual([true]);
  });
});

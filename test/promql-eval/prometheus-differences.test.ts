/** Places where Strata once answered differently from Prometheus, each checked against what Prometheus gives. */
import { describe, expect, it } from 'vitest';
import { Engine, type Value } from '../../src/promql/engine.js';
import { parseExpr } from '../../src/promql/parser.js';
import { TestQuerier } from './helpers.js';

const engine = new Engine({});

function labelSets(v: Value): Record<string, string>[] {
  if (v.type !== 'vector') throw new Error(`expected vector, got ${v.type}`);
  return v.samples.map((s) => Object.fromEntries(s.labels.map((l) => [l.name, l.value])));
}

function values(v: Value): number[] {
  if (v.type !== 'vector') throw new Error(`expected vector, got ${v.type}`);
  return v.samples.map((s) => s.v);
}

describe('Prometheus compatibility', () => {
  const x = new TestQuerier().addLinear({ __name__: 'x', a: '1', b: '2', c: '3' }, 15_000, 1, 1, 40);

  it('accepts holt_winters as the Prometheus 2.x name of double_exponential_smoothing', async () => {
    const old = await engine.instantQuery(x, 'holt_winters(x[5m], 0.5, 0.5)', 500_000);
    const now = await engine.instantQuery(x, 'double_exponential_smoothing(x[5m], 0.5, 0.5)', 500_000);
    expect(values(old.value)).toEqual(values(now.value));
    expect(values(old.value)).toHaveLength(1);
  });

  it('drops __name__ from a group_left comparison whose sides already lost it', async () => {
    const r = await engine.instantQuery(x, 'avg_over_time(x[1m]) > on(a,b) group_left avg_over_time(x[5m])', 500_000);
    expect(labelSets(r.value)).toEqual([{ a: '1', b: '2', c: '3' }]);
  });

  it('drops __name__ from a plain comparison of two functions', async () => {
    const r = await engine.instantQuery(x, 'avg_over_time(x[1m]) > avg_over_time(x[5m])', 500_000);
    expect(labelSets(r.value)).toEqual([{ a: '1', b: '2', c: '3' }]);
  });

  it('keeps __name__ when a comparison filters a plain selector', async () => {
    const r = await engine.instantQuery(x, 'x > on(a,b) group_left avg_over_time(x[5m])', 500_000);
    expect(labelSets(r.value)).toEqual([{ __name__: 'x', a: '1', b: '2', c: '3' }]);
  });

  it('truncates a duration expression to whole milliseconds: [2s/3] is 666 ms', async () => {
    // Samples at 0 and 666 ms: a 667 ms window ending at 667 would see two, a 666 ms one sees one.
    const q = new TestQuerier().add({ __name__: 'ms' }, [
      [0, 1],
      [1, 2],
      [666, 3],
      [667, 4],
    ]);
    const r = await engine.instantQuery(q, 'count_over_time(ms[2s/3])', 667);
    expect(values(r.value)).toEqual([2]);
  });

  it('computes hour(), year() and the other date functions as Go does beyond int64 seconds', async () => {
    const q = new TestQuerier();
    const at = async (e: string) => values((await engine.instantQuery(q, e, 0)).value);
    expect(await at('hour(vector(1e300))')).toEqual([15]);
    expect(await at('year(vector(1e300))')).toEqual([292277026596]);
    expect(await at('minute(vector(-1e300))')).toEqual(await at('minute(vector(1e300))'));
    expect(await at('year(vector(-62135596801))')).toEqual([0]);
    // Where JavaScript's Date still reaches (±8.64e12 s), both calendars agree.
    const d = new Date(8e12 * 1000);
    expect(await at('month(vector(8e12))')).toEqual([d.getUTCMonth() + 1]);
    expect(await at('day_of_month(vector(8e12))')).toEqual([d.getUTCDate()]);
  });

  it('refuses start_timestamp at parse time, saying why', () => {
    expect(() => parseExpr('start_timestamp(up)')).toThrow(/start_timestamp.*not supported/);
  });
});

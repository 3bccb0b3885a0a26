import { describe, it, expect } from 'vitest';
import { Engine, formatAnnotation, type Value } from '../../src/promql/engine.js';
import { subqueryRange } from '../../src/promql/eval/steps.js';
import { TestQuerier } from './helpers.js';

const M = 60_000;
const engine = new Engine({});

function rows(v: Value): [string, number][] {
  if (v.type !== 'vector') throw new Error(`expected vector, got ${v.type}`);
  return v.samples.map((s) => ['{' + s.labels.map((l) => `${l.name}=${l.value}`).join(',') + '}', Number(s.v.toPrecision(12))]);
}

describe('subquery grid', () => {
  it('aligns inner steps to absolute multiples of the step, excluding the range start', () => {
    const r = subqueryRange(10 * M + 7, 10 * M + 7, 0, 0, 5 * M, M);
    expect(Array.from(r.ts)).toEqual([6 * M, 7 * M, 8 * M, 9 * M, 10 * M]);
  });

  it('an offset on the subquery moves the whole grid', () => {
    const r = subqueryRange(10 * M, 10 * M, 0, 2 * M, 3 * M, M);
    expect(Array.from(r.ts)).toEqual([6 * M, 7 * M, 8 * M]);
  });
});

describe('ordering of instant results', () => {
  const q = new TestQuerier();
  [
    ['a', 3],
    ['b', NaN],
    ['c', 3],
    ['d', 7],
    ['e', 1],
  ].forEach(([n, v]) => q.add({ __name__: 'm', n: n as string }, [[0, v as number]]));

  it('topk ranks NaN last and keeps input order among ties', async () => {
    expect(rows((await engine.instantQuery(q, 'topk(3, m)', 0)).value)).toEqual([
      ['{__name__=m,n=d}', 7],
      ['{__name__=m,n=a}', 3],
      ['{__name__=m,n=c}', 3],
    ]);
  });

  it('bottomk ranks NaN last too', async () => {
    expect(rows((await engine.instantQuery(q, 'bottomk(2, m)', 0)).value)).toEqual([
      ['{__name__=m,n=e}', 1],
      ['{__name__=m,n=a}', 3],
    ]);
  });

  it('sort_desc orders by value with NaN at the end', async () => {
    const r = rows((await engine.instantQuery(q, 'sort_desc(m)', 0)).value);
    expect(r.map(([l]) => l)).toEqual(['{__name__=m,n=d}', '{__name__=m,n=a}', '{__name__=m,n=c}', '{__name__=m,n=e}', '{__name__=m,n=b}']);
  });

  it('sort_by_label orders label values naturally', async () => {
    const q2 = new TestQuerier().add({ __name__: 'x', v: 'a10' }, [[0, 1]]).add({ __name__: 'x', v: 'a9' }, [[0, 1]]);
    expect(rows((await engine.instantQuery(q2, 'sort_by_label(x, "v")', 0)).value).map(([l]) => l)).toEqual(['{__name__=x,v=a9}', '{__name__=x,v=a10}']);
  });
});

describe('classic histograms', () => {
  const q = new TestQuerier();
  for (const [le, count] of [
    ['0.1', 10],
    ['0.5', 30],
    ['1', 40],
    ['+Inf', 40],
  ] as const)
    q.add({ __name__: 'lat_bucket', job: 'a', le }, [[0, count]]);

  it('histogram_quantile interpolates within the bucket and drops le and the name', async () => {
    expect(rows((await engine.instantQuery(q, 'histogram_quantile(0.5, lat_bucket)', 0)).value)).toEqual([['{job=a}', 0.3]]);
  });

  it('histogram_fraction', async () => {
    expect(rows((await engine.instantQuery(q, 'histogram_fraction(0, 0.5, lat_bucket)', 0)).value)).toEqual([['{job=a}', 0.75]]);
  });

  it('reports buckets forced monotonic, merged over the steps', async () => {
    const q2 = new TestQuerier();
    for (const [le, count] of [
      ['1', 10],
      ['2', 8],
      ['+Inf', 20],
    ] as const)
      q2.add({ __name__: 'nm_bucket', le }, [[0, count]]);
    const query = 'histogram_quantile(0.5, nm_bucket)';
    const r = await engine.rangeQuery(q2, query, 0, 60_000, 30_000);
    expect(r.infos.map((a) => formatAnnotation(a, query))).toEqual([
      'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "nm_bucket", from buckets 2 to 2, with a max diff of 2, over 3 samples from 1970-01-01T00:00:00Z to 1970-01-01T00:01:00Z (1:25)',
    ]);
  });

  it('warns about a malformed le label', async () => {
    const q2 = new TestQuerier().add({ __name__: 'h_bucket', le: 'x' }, [[0, 1]]);
    const r = await engine.instantQuery(q2, 'histogram_quantile(0.5, h_bucket)', 0);
    expect(r.warnings.map((a) => a.message)).toEqual([
      'PromQL warning: bucket label "le" is missing or has a malformed value of "x" for metric name "h_bucket"',
    ]);
  });
});

describe('extended range selectors', () => {
  const q = new TestQuerier().add({ __name__: 'c_total' }, [
    [0, 0],
    [30_000, 3],
    [60_000, 6],
    [90_000, 9],
  ]);

  it('smoothed instant selector interpolates between neighbours', async () => {
    expect(rows((await engine.instantQuery(q, 'c_total smoothed', 45_000)).value)).toEqual([['{__name__=c_total}', 4.5]]);
  });

  it('smoothed increase interpolates both window edges', async () => {
    // window (15s, 75s]: 1.5 at 15s, 7.5 at 75s
    expect(rows((await engine.instantQuery(q, 'increase(c_total[1m] smoothed)', 75_000)).value)).toEqual([['{}', 6]]);
  });

  it('a modifier a function cannot use is an error naming the allowed ones', async () => {
    await expect(engine.instantQuery(q, 'max_over_time(c_total[1m] anchored)', 60_000)).rejects.toThrow(
      'anchored modifier can only be used with: changes, delta, increase, rate, resets - not with max_over_time',
    );
  });
});

describe('info()', () => {
  const q = new TestQuerier()
    .add({ __name__: 'up', job: 'api', instance: 'h1' }, [[0, 1]])
    .add({ __name__: 'target_info', job: 'api', instance: 'h1', region: 'eu' }, [[0, 1]]);

  it('adds the data labels of the matching target_info series', async () => {
    expect(rows((await engine.instantQuery(q, 'info(up)', 0)).value)).toEqual([['{__name__=up,instance=h1,job=api,region=eu}', 1]]);
  });

  it('keeps only the requested data labels and drops series lacking them', async () => {
    expect(rows((await engine.instantQuery(q, 'info(up, {region="us"})', 0)).value)).toEqual([]);
  });
});

describe('count_values', () => {
  it('labels values the way Go formats floats', async () => {
    const q = new TestQuerier().add({ __name__: 'v', i: '1' }, [[0, 1e21]]).add({ __name__: 'v', i: '2' }, [[0, -0]]);
    const r = rows((await engine.instantQuery(q, 'count_values("value", v)', 0)).value);
    expect(r.map(([l]) => l).sort()).toEqual(['{value=-0}', '{value=1000000000000000000000}']);
  });
});

import { describe, it, expect } from 'vitest';
import { Engine, PromQLError, formatAnnotation, type QueryResult, type Value } from '../../src/promql/engine.js';
import { TestQuerier } from './helpers.js';

const M = 60_000;
const engine = new Engine({});

/** `{a="1"} => v` pairs of an instant vector result, labels rendered compactly. */
function samples(v: Value): Record<string, number> {
  if (v.type !== 'vector') throw new Error(`expected vector, got ${v.type}`);
  const out: Record<string, number> = {};
  // 12 significant digits: enough to state expectations without float noise
  for (const s of v.samples) out['{' + s.labels.map((l) => `${l.name}=${l.value}`).join(',') + '}'] = Number(s.v.toPrecision(12));
  return out;
}

function matrix(v: Value): Record<string, [number, number][]> {
  if (v.type !== 'matrix') throw new Error(`expected matrix, got ${v.type}`);
  const out: Record<string, [number, number][]> = {};
  for (const s of v.series) out['{' + s.labels.map((l) => `${l.name}=${l.value}`).join(',') + '}'] = Array.from(s.timestamps, (t, i) => [t, s.values[i]!]);
  return out;
}

async function fails(p: Promise<QueryResult>): Promise<PromQLError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PromQLError);
    return e as PromQLError;
  }
  throw new Error('query did not fail');
}

describe('selectors', () => {
  const q = new TestQuerier().add({ __name__: 'up', job: 'a' }, [
    [0, 1],
    [M, 2],
    [2 * M, 'stale'],
    [8 * M, 5],
  ]);

  it('returns the newest sample within the 5m lookback', async () => {
    expect(samples((await engine.instantQuery(q, 'up', 1.5 * M)).value)).toEqual({ '{__name__=up,job=a}': 2 });
  });

  it('a staleness marker ends the series until the next sample', async () => {
    expect(samples((await engine.instantQuery(q, 'up', 3 * M)).value)).toEqual({});
    expect(samples((await engine.instantQuery(q, 'up', 8 * M)).value)).toEqual({ '{__name__=up,job=a}': 5 });
  });

  it('excludes a sample exactly one lookback old', async () => {
    const q2 = new TestQuerier().add({ __name__: 'x' }, [[0, 1]]);
    expect(samples((await engine.instantQuery(q2, 'x', 5 * M - 1)).value)).toEqual({ '{__name__=x}': 1 });
    expect(samples((await engine.instantQuery(q2, 'x', 5 * M)).value)).toEqual({});
  });

  it('honours offset and @', async () => {
    expect(samples((await engine.instantQuery(q, 'up offset 1m', 2 * M)).value)).toEqual({ '{__name__=up,job=a}': 2 });
    expect(samples((await engine.instantQuery(q, 'up @ 60', 100 * M)).value)).toEqual({ '{__name__=up,job=a}': 2 });
  });

  it('evaluates a range query per step, each step with its own lookback', async () => {
    const r = await engine.rangeQuery(q, 'up', 0, 10 * M, 2 * M);
    // at 2m the newest sample is the staleness marker, so that step has no point
    expect(matrix(r.value)).toEqual({
      '{__name__=up,job=a}': [
        [0, 1],
        [8 * M, 5],
        [10 * M, 5],
      ],
    });
  });

  it('returns the raw samples of a range selector in an instant query', async () => {
    const r = await engine.instantQuery(q, 'up[2m]', 1.5 * M);
    expect(matrix(r.value)).toEqual({
      '{__name__=up,job=a}': [
        [0, 1],
        [M, 2],
      ],
    });
  });
});

describe('functions and name dropping', () => {
  const q = new TestQuerier()
    .addLinear({ __name__: 'req_total', job: 'a' }, 15_000, 0, 15, 41)
    .addLinear({ __name__: 'req_total', job: 'b' }, 15_000, 0, 30, 41);

  it('rate drops the metric name', async () => {
    const r = await engine.instantQuery(q, 'rate(req_total[5m])', 10 * M);
    expect(samples(r.value)).toEqual({ '{job=a}': 1, '{job=b}': 2 });
  });

  it('last_over_time keeps the metric name', async () => {
    const r = await engine.instantQuery(q, 'last_over_time(req_total{job="a"}[1m])', 10 * M);
    expect(samples(r.value)).toEqual({ '{__name__=req_total,job=a}': 600 });
  });

  it('label_replace can restore the name that rate would drop', async () => {
    const r = await engine.instantQuery(q, 'label_replace(rate(req_total{job="a"}[5m]), "__name__", "r_$1", "job", "(.*)")', 10 * M);
    expect(samples(r.value)).toEqual({ '{__name__=r_a,job=a}': 1 });
  });

  it('reports an info annotation for rate over a name without a counter suffix', async () => {
    const q2 = new TestQuerier().addLinear({ __name__: 'requests' }, 15_000, 0, 1, 41);
    const query = 'rate(requests[5m])';
    const r = await engine.instantQuery(q2, query, 10 * M);
    expect(r.infos.map((a) => formatAnnotation(a, query))).toEqual([
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "requests" (1:6)',
    ]);
  });

  it('absent returns the equality labels of its selector when nothing matches', async () => {
    const r = await engine.instantQuery(q, 'absent(nope{job="x", env=~"p.*"})', 10 * M);
    expect(samples(r.value)).toEqual({ '{job=x}': 1 });
  });

  it('two series that only differed by name are a duplicate-labelset error', async () => {
    const q2 = new TestQuerier().add({ __name__: 'a', job: 'x' }, [[0, 1]]).add({ __name__: 'b', job: 'x' }, [[0, 2]]);
    const e = await fails(engine.instantQuery(q2, 'abs({job="x"})', 0));
    expect(e.message).toBe('vector cannot contain metrics with the same labelset');
  });

  it('subqueries evaluate the inner expression on an aligned grid', async () => {
    const r = await engine.instantQuery(q, 'max_over_time(rate(req_total{job="b"}[1m])[5m:1m])', 10 * M);
    expect(samples(r.value)).toEqual({ '{job=b}': 2 });
  });

  it('sort in a range query is ineffective and says so', async () => {
    const query = 'sort(req_total)';
    const r = await engine.rangeQuery(q, query, 0, M, 30_000);
    expect(r.warnings.map((a) => formatAnnotation(a, query))).toEqual([
      'PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)',
    ]);
  });
});

describe('binary operators', () => {
  const q = new TestQuerier()
    .add({ __name__: 'errors', job: 'a', code: '500' }, [[0, 5]])
    .add({ __name__: 'errors', job: 'a', code: '404' }, [[0, 1]])
    .add({ __name__: 'total', job: 'a' }, [[0, 100]]);

  it('vector/scalar arithmetic and comparison filters', async () => {
    expect(samples((await engine.instantQuery(q, 'errors > 2', 0)).value)).toEqual({ '{__name__=errors,code=500,job=a}': 5 });
    expect(samples((await engine.instantQuery(q, 'errors > bool 2', 0)).value)).toEqual({ '{code=404,job=a}': 0, '{code=500,job=a}': 1 });
  });

  it('group_left matches many series to one', async () => {
    const r = await engine.instantQuery(q, 'errors / on(job) group_left total', 0);
    expect(samples(r.value)).toEqual({ '{code=404,job=a}': 0.01, '{code=500,job=a}': 0.05 });
  });

  it('many-to-one without group_left is an error', async () => {
    const e = await fails(engine.instantQuery(q, 'errors / on(job) total', 0));
    expect(e.message).toBe('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
  });

  it('duplicates on the one side are named in the error', async () => {
    const e = await fails(engine.instantQuery(q, 'total + on(job) errors', 0));
    expect(e.message).toContain('found duplicate series for the match group {job="a"} on the right hand-side of the operation');
  });

  it('set operators match on all labels but the name', async () => {
    expect(samples((await engine.instantQuery(q, 'errors unless on(code) errors{code="404"}', 0)).value)).toEqual({ '{__name__=errors,code=500,job=a}': 5 });
    expect(Object.keys(samples((await engine.instantQuery(q, 'errors or total', 0)).value))).toHaveLength(3);
  });

  it('follows IEEE arithmetic for division by zero', async () => {
    const r = await engine.instantQuery(q, 'total / 0', 0);
    expect(samples(r.value)).toEqual({ '{job=a}': Infinity });
  });
});

describe('aggregations', () => {
  const q = new TestQuerier();
  [3, 1, 4, 1, 5].forEach((v, i) => q.add({ __name__: 'm', i: String(i), g: i % 2 ? 'odd' : 'even' }, [[0, v]]));

  it('sum, avg, count, min, max, stddev by group', async () => {
    expect(samples((await engine.instantQuery(q, 'sum by (g) (m)', 0)).value)).toEqual({ '{g=even}': 12, '{g=odd}': 2 });
    expect(samples((await engine.instantQuery(q, 'avg(m)', 0)).value)).toEqual({ '{}': 2.8 });
    expect(samples((await engine.instantQuery(q, 'count without (i) (m)', 0)).value)).toEqual({ '{g=even}': 3, '{g=odd}': 2 });
    expect(samples((await engine.instantQuery(q, 'stddev(m)', 0)).value)['{}']).toBeCloseTo(1.6, 12);
  });

  it('topk returns the k largest in descending order', async () => {
    const r = await engine.instantQuery(q, 'topk(2, m)', 0);
    if (r.value.type !== 'vector') throw new Error();
    expect(r.value.samples.map((s) => s.v)).toEqual([5, 4]);
  });

  it('quantile and count_values', async () => {
    expect(samples((await engine.instantQuery(q, 'quantile(0.5, m)', 0)).value)).toEqual({ '{}': 3 });
    expect(samples((await engine.instantQuery(q, 'count_values("v", m)', 0)).value)).toEqual({ '{v=1}': 2, '{v=3}': 1, '{v=4}': 1, '{v=5}': 1 });
  });

  it('warns about a quantile outside [0, 1]', async () => {
    const r = await engine.instantQuery(q, 'quantile(2, m)', 0);
    expect(r.warnings.map((a) => a.message)).toEqual(['PromQL warning: quantile value should be between 0 and 1, got 2']);
  });
});

describe('cooperative evaluation', () => {
  it('lets other event-loop work run during a long evaluation', async () => {
    const q = new TestQuerier();
    for (let i = 0; i < 300; i++) q.addLinear({ __name__: 'busy', i: String(i) }, 15_000, 0, 1, 1000);
    let turns = 0;
    let done = false;
    const spin = (): void => {
      turns++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const turnsBefore = turns;
    await engine.rangeQuery(q, 'sum(avg_over_time(busy[1h]))', 0, 1000 * 15_000, 15_000);
    done = true;
    expect(turns - turnsBefore).toBeGreaterThan(0);
  });
});

describe('limits and bad input', () => {
  const q = new TestQuerier().addLinear({ __name__: 'x' }, 1000, 0, 1, 5000);

  it('rejects a query that would hold more samples than allowed', async () => {
    const e = await fails(new Engine({ maxSamples: 100 }).rangeQuery(q, 'x', 0, 4000_000, 1000));
    expect(e.errorType).toBe('execution');
    expect(e.message).toContain('too many samples');
  });

  it('rejects a subquery grid larger than the sample limit before allocating it', async () => {
    const e = await fails(new Engine({ maxSamples: 1000 }).instantQuery(q, 'max_over_time(x[100d:1ms])', 0));
    expect(e.message).toContain('too many samples');
  });

  it('times out with a timeout error', async () => {
    const e = await fails(new Engine({ timeoutMs: 0 }).instantQuery(q, 'x', 0));
    expect(e.errorType).toBe('timeout');
  });

  it('an aborted signal cancels the query', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await fails(engine.instantQuery(q, 'x', 0, ac.signal));
    expect(e.errorType).toBe('canceled');
  });

  it('a query that does not parse is bad_data', async () => {
    const e = await fails(engine.instantQuery(q, 'sum(', 0));
    expect(e.errorType).toBe('bad_data');
  });

  it('a range query over a range vector is bad_data', async () => {
    const e = await fails(engine.rangeQuery(q, 'x[5m]', 0, 10_000, 1000));
    expect(e.errorType).toBe('bad_data');
    expect(e.message).toBe('invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });

  it('a non-finite evaluation time is bad_data', async () => {
    const e = await fails(engine.instantQuery(q, 'x', NaN));
    expect(e.message).toBe('invalid time timestamp: NaN');
  });

  it('rejects nonsensical engine options', () => {
    expect(() => new Engine({ lookbackDeltaMs: -1 })).toThrow('engine option lookbackDeltaMs must be a non-negative number, got -1');
  });

  it('a non-positive step is bad_data', async () => {
    const e = await fails(engine.rangeQuery(q, 'x', 0, 10_000, 0));
    expect(e.errorType).toBe('bad_data');
  });

  it('an invalid label_replace regex is a clear error', async () => {
    const e = await fails(engine.instantQuery(q, 'label_replace(x, "a", "b", "c", "(")', 1000));
    expect(e.message).toBe('invalid regular expression in label_replace(): (');
  });
});

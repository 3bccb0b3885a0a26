import { describe, it, expect } from 'vitest';
import { almostEqual, atModifierVariant, expandItems, parseSeriesLine, runScript, summarize } from './script-runner.js';
import { Engine } from '../../src/promql/engine.js';

const engine = new Engine({ lookbackDeltaMs: 300_000, defaultSubqueryStepMs: 60_000 });
const opts = { atVariants: true, rangeCheck: true };

async function statuses(script: string): Promise<string[]> {
  const r = await runScript('inline.test', script, engine, opts);
  expect(r.error).toBeUndefined();
  return r.outcomes.map((o) => o.status);
}

describe('series descriptions', () => {
  it('expands repeats, series, gaps and staleness markers', () => {
    expect(expandItems(['1+2x3', '_x2', '5x1', 'stale', '_', '-1'])).toEqual([
      { kind: 'float', v: 1 },
      { kind: 'float', v: 3 },
      { kind: 'float', v: 5 },
      { kind: 'float', v: 7 },
      { kind: 'omit' },
      { kind: 'omit' },
      { kind: 'float', v: 5 },
      { kind: 'float', v: 5 },
      { kind: 'stale' },
      { kind: 'omit' },
      { kind: 'float', v: -1 },
    ]);
  });

  it('reads 0x5 as zero repeated, not hexadecimal', () => {
    expect(expandItems(['0x5'])).toHaveLength(6);
  });

  it('adds series steps by repeated addition', () => {
    const v = expandItems(['0+0.1x3']).map((s) => (s.kind === 'float' ? s.v : null));
    expect(v[3]).toBe(0.1 + 0.1 + 0.1);
  });

  it('splits labels from items, with spaces inside label values', () => {
    expect(parseSeriesLine('foo{a="x y", b="}"}  1 2')).toEqual({
      labels: [
        { name: '__name__', value: 'foo' },
        { name: 'a', value: 'x y' },
        { name: 'b', value: '}' },
      ],
      items: ['1', '2'],
    });
    expect(parseSeriesLine('{} 3').labels).toEqual([]);
  });
});

describe('float comparison (util/almost.Equal)', () => {
  it('allows a relative error below 1e-6 of the sum of magnitudes', () => {
    expect(almostEqual(1.833333333, 1.8333333333333333)).toBe(true);
    expect(almostEqual(1, 1.00001)).toBe(false);
  });

  it('compares against zero exactly and treats NaNs as equal', () => {
    expect(almostEqual(0, 1e-300)).toBe(false);
    expect(almostEqual(NaN, NaN)).toBe(true);
    expect(almostEqual(Infinity, Infinity)).toBe(true);
  });
});

describe('judging evals', () => {
  const load = 'load 1m\n  foo{a="1"} 1+1x10\n  foo{a="2"} 10+10x10\n\n';

  it('passes a correct instant eval, including @ variants and the range re-check', async () => {
    expect(await statuses(load + 'eval instant at 2m foo\n  foo{a="1"} 3\n  foo{a="2"} 30\n')).toEqual(['pass']);
  });

  it('fails a wrong value', async () => {
    expect(await statuses(load + 'eval instant at 2m foo\n  foo{a="1"} 4\n  foo{a="2"} 30\n')).toEqual(['fail']);
  });

  it('fails a missing or an unexpected series', async () => {
    expect(await statuses(load + 'eval instant at 2m foo\n  foo{a="1"} 3\n')).toEqual(['fail']);
    expect(await statuses(load + 'eval instant at 2m foo\n  foo{a="1"} 3\n  foo{a="2"} 30\n  foo{a="3"} 1\n')).toEqual(['fail']);
  });

  it('checks the point grid of range evals', async () => {
    expect(await statuses(load + 'eval range from 0 to 2m step 1m foo{a="1"}\n  foo{a="1"} 1 2 3\n')).toEqual(['pass']);
    expect(await statuses(load + 'eval range from 0 to 2m step 1m foo{a="1"}\n  foo{a="1"} 1 _ 3\n')).toEqual(['fail']);
  });

  it('judges expected failures by their message', async () => {
    const dup = 'load 1m\n  m{a="1",b="x"} 1\n  m{a="1",b="y"} 1\n\n';
    expect(await statuses(dup + 'eval instant at 0 sum by (a) (m) + on(a) group_left m\n  expect fail\n')).toEqual(['pass']);
    expect(await statuses(dup + 'eval instant at 0 m\n  expect fail\n')).toEqual(['fail']);
    expect(await statuses(dup + 'eval instant at 0 label_replace(m, "b", "z", "", "")\n  expect fail msg: something else\n')).toEqual(['fail']);
  });

  it('requires expected warnings and refuses unexpected ones', async () => {
    const l = 'load 1m\n  gauge 1 2 3\n\n';
    expect(
      await statuses(
        l + 'eval instant at 2m quantile(2, gauge)\n  expect warn msg: PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)\n  {} +Inf\n',
      ),
    ).toEqual(['pass']);
    expect(await statuses(l + 'eval instant at 2m quantile(2, gauge)\n  expect no_warn\n  {} +Inf\n')).toEqual(['fail']);
    expect(await statuses(l + 'eval instant at 2m quantile(0.5, gauge)\n  expect warn\n  {} 3\n')).toEqual(['fail']);
  });

  it('compares a scalar result with a bare number line', async () => {
    expect(await statuses('eval instant at 0 1 + 2\n  3\n')).toEqual(['pass']);
    expect(await statuses('eval instant at 0 1 + 2\n  4\n')).toEqual(['fail']);
  });

  it('skips evals that read native-histogram series when asked to, with the reason', async () => {
    const r = await runScript('x.test', 'load 1m\n  h {{schema:0 sum:1 count:1}}\n\neval instant at 0 h\n  {} 1\n', engine, { ...opts, skipHistograms: true });
    expect(summarize(r.outcomes).skipReasons).toEqual(new Map([['reads series that hold native histograms', 1]]));
  });

  it('compares native-histogram results with the histogram rule', async () => {
    const script =
      'load 1m\n  h {{schema:0 sum:5 count:4 buckets:[1 2 1]}}+{{schema:0 sum:5 count:4 buckets:[1 2 1]}}x2\n\neval instant at 2m h * 2\n  {} {{schema:0 sum:30 count:24 buckets:[6 12 6]}}\n\neval instant at 2m h\n  h {{schema:0 sum:15 count:13 buckets:[3 6 3]}}\n';
    expect(await statusesOf(script)).toEqual(['pass', 'fail']);
  });

  it('loads classic histograms as custom-bucket histograms with load_with_nhcb', async () => {
    const script =
      'load_with_nhcb 1m\n  rpc_bucket{le="1"} 1\n  rpc_bucket{le="5"} 3\n  rpc_bucket{le="+Inf"} 4\n  rpc_count 4\n  rpc_sum 9\n\n' +
      'eval instant at 0 rpc\n  rpc {{schema:-53 sum:9 count:4 custom_values:[1 5] buckets:[1 2 1]}}\n';
    expect(await statusesOf(script)).toEqual(['pass']);
  });

  it('still runs evals on float series loaded next to native histograms', async () => {
    const script = 'load 1m\n  h {{schema:0 sum:1 count:1}}\n  f 7\n\neval instant at 0 f\n  f 7\n';
    const r = await runScript('x.test', script, engine, opts);
    expect(summarize(r.outcomes)).toMatchObject({ passed: 1, skipped: 0 });
  });

  it('skips every eval after a histogram load with the conservative rule', async () => {
    const script = 'load 1m\n  h {{schema:0 sum:1 count:1}}\n  f 7\n\neval instant at 0 f\n  f 7\n';
    const r = await runScript('x.test', script, engine, { ...opts, conservativeSkip: true });
    expect(summarize(r.outcomes).skipReasons).toEqual(new Map([['native histograms loaded since last clear', 1]]));
  });

  it('reports a script syntax error instead of throwing', async () => {
    const r = await runScript('x.test', 'bogus command\n', engine, opts);
    expect(r.error).toContain('unknown command');
  });
});

async function statusesOf(script: string): Promise<string[]> {
  const r = await runScript('x.test', script, engine, opts);
  return r.outcomes.map((o) => o.status);
}

describe('@-modifier variants', () => {
  it('pins top-level selectors and subqueries to the eval time, leaving subquery insides alone', () => {
    expect(atModifierVariant('rate(foo[5m]) + bar', 60_000)).toBe('rate(foo[5m] @ 60.000) + bar @ 60.000');
    expect(atModifierVariant('max_over_time(foo[10m:1m])', 60_000)).toBe('max_over_time(foo[10m:1m] @ 60.000)');
  });

  it('is not produced for time-dependent functions', () => {
    expect(atModifierVariant('time() - foo', 60_000)).toBeNull();
  });
});

/**
 * Native histograms in the query API JSON, as Prometheus writes them: `histogram` in an instant
 * vector, `histograms` beside (or instead of) `values` in a range result, counts and bounds as
 * strings, empty buckets left out. The results come from real queries over loaded series.
 */
import { describe, it, expect } from 'vitest';
import { formatQueryResponse } from '../../src/server/query-format.js';
import { Engine } from '../../src/promql/engine.js';
import { MemoryQuerier } from './memory-querier.js';
import { parseHistogramLiteral } from './histogram-notation.js';

const metric = [{ name: '__name__', value: 'rpc_seconds' }];

function storage(): MemoryQuerier {
  const q = new MemoryQuerier();
  q.appendHistogram(metric, 0, parseHistogramLiteral('schema:0 sum:5 count:4 buckets:[1 2 1]'));
  q.appendHistogram(metric, 60_000, parseHistogramLiteral('schema:0 sum:9 count:7 z_bucket:1 z_bucket_w:0.001 buckets:[2 0 3] n_buckets:[1]'));
  return q;
}

describe('native histograms in query responses', () => {
  const engine = new Engine();

  it('writes an instant histogram sample under "histogram"', async () => {
    const res = await engine.instantQuery(storage(), 'rpc_seconds', 0);
    expect(formatQueryResponse(res, 'rpc_seconds')).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"rpc_seconds"},"histogram":[0,' +
        '{"count":"4","sum":"5","buckets":[[0,"0.5","1","1"],[0,"1","2","2"],[0,"2","4","1"]]}]}]}}',
    );
  });

  it('writes negative, zero and positive buckets with their boundary rules, leaving empty ones out', async () => {
    const res = await engine.instantQuery(storage(), 'rpc_seconds', 60_000);
    expect(formatQueryResponse(res, 'rpc_seconds')).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"rpc_seconds"},"histogram":[60,' +
        '{"count":"7","sum":"9","buckets":[[1,"-1","-0.5","1"],[3,"-0.001","0.001","1"],[0,"0.5","1","2"],[0,"2","4","3"]]}]}]}}',
    );
  });

  it('writes range results under "histograms" without an empty "values"', async () => {
    const res = await engine.rangeQuery(storage(), 'rpc_seconds or label_replace(histogram_count(rpc_seconds), "of", "count", "", "")', 0, 60_000, 60_000);
    expect(formatQueryResponse(res, 'q')).toBe(
      '{"status":"success","data":{"resultType":"matrix","result":[' +
        '{"metric":{"__name__":"rpc_seconds"},"histograms":[[0,{"count":"4","sum":"5","buckets":[[0,"0.5","1","1"],[0,"1","2","2"],[0,"2","4","1"]]}],' +
        '[60,{"count":"7","sum":"9","buckets":[[1,"-1","-0.5","1"],[3,"-0.001","0.001","1"],[0,"0.5","1","2"],[0,"2","4","3"]]}]]},' +
        '{"metric":{"of":"count"},"values":[[0,"4"],[60,"7"]]}]}}',
    );
  });

  it('writes a histogram without populated buckets as count and sum only', async () => {
    const q = new MemoryQuerier();
    q.appendHistogram(metric, 0, parseHistogramLiteral('schema:0 sum:0 count:0'));
    const res = await engine.instantQuery(q, 'rpc_seconds', 0);
    expect(formatQueryResponse(res, 'rpc_seconds')).toContain('"histogram":[0,{"count":"0","sum":"0"}]');
  });
});

import { describe, expect, it } from 'vitest';
import { decodeExportRequestJson, translateExportRequest, DEFAULT_OTLP_OPTIONS, type OtlpOptions } from '../../src/ingest/otlp/index.js';
import type { IngestLimits } from '../../src/ingest/index.js';
import { isStaleNaNAt } from '../../src/model/sample.js';

const T = '1700000000000000000';
const T_MS = 1700000000000;

type Obj = Record<string, unknown>;
const kv = (o: Record<string, string>) => Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));

function request(
  metrics: Obj[],
  resource: Record<string, string> = { 'service.name': 'shop', 'service.namespace': 'prod', 'service.instance.id': 'i-1' },
  scope: Obj = { name: 'lib', version: '1.0' },
): Uint8Array {
  return Buffer.from(JSON.stringify({ resourceMetrics: [{ resource: { attributes: kv(resource) }, scopeMetrics: [{ scope, metrics }] }] }));
}

/** Translated series as `name{labels} value` lines, sorted, plus the translation. */
function translate(body: Uint8Array, opts: Partial<OtlpOptions> = {}, limits: Partial<IngestLimits> = {}) {
  const t = translateExportRequest(decodeExportRequestJson(body), { ...DEFAULT_OTLP_OPTIONS, ...opts }, limits);
  const b = t.builder.build();
  const lines: string[] = [];
  for (let i = 0; i < b.sampleCount; i++) {
    const ls = b.labels(b.seriesIndex[i]!);
    const name = ls.find((l) => l.name === '__name__')!.value;
    const rest = ls
      .filter((l) => l.name !== '__name__')
      .map((l) => `${l.name}=${JSON.stringify(l.value)}`)
      .join(',');
    const v = isStaleNaNAt(b.values, i) ? 'stale' : String(b.values[i]);
    lines.push(`${name}{${rest}} ${v} @${b.timestamps[i]}`);
  }
  return { t, b, lines: lines.sort() };
}

const ID = 'instance="i-1",job="prod/shop"';

describe('OTLP → Prometheus series', () => {
  it('maps a gauge to one series with job and instance from the resource', () => {
    const { lines } = translate(
      request([{ name: 'temp', unit: 'Cel', gauge: { dataPoints: [{ attributes: kv({ room: 'k' }), timeUnixNano: T, asDouble: 21.5 }] } }]),
    );
    expect(lines).toEqual([`temp_celsius{${ID},room="k"} 21.5 @${T_MS}`]);
  });

  it('maps a cumulative monotonic sum to a _total counter and a non-monotonic one to a gauge', () => {
    const { lines, b } = translate(
      request(
        [
          { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: T, asInt: '42' }] } },
          { name: 'queue.size', sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ timeUnixNano: T, asInt: '3' }] } },
        ],
        { 'service.name': 'shop' },
      ),
    );
    expect(lines).toEqual([`queue_size{job="shop"} 3 @${T_MS}`, `requests_total{job="shop"} 42 @${T_MS}`]);
    expect(b.metadata.map((m) => [m.metricFamilyName, m.type])).toEqual([
      ['requests_total', 'counter'],
      ['queue_size', 'gauge'],
    ]);
  });

  it('refuses delta sums per point with a message saying so, keeping the rest', () => {
    const { lines, t } = translate(
      request(
        [
          {
            name: 'd',
            sum: {
              aggregationTemporality: 1,
              isMonotonic: true,
              dataPoints: [
                { timeUnixNano: T, asInt: '1' },
                { timeUnixNano: T, asInt: '2' },
              ],
            },
          },
          { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1' }] } },
        ],
        {},
      ),
    );
    expect(lines).toEqual([`g{} 1 @${T_MS}`]);
    expect(t.rejectedPoints).toBe(2);
    expect(t.reasons[0]).toMatch(/metric "d": delta temporality is not supported/);
  });

  it('maps a histogram to cumulative _bucket{le} series, _sum and _count', () => {
    const { lines } = translate(
      request([
        {
          name: 'lat',
          unit: 's',
          histogram: {
            aggregationTemporality: 2,
            dataPoints: [{ timeUnixNano: T, count: '6', sum: 3.5, bucketCounts: ['1', '2', '3'], explicitBounds: [0.005, 1] }],
          },
        },
      ]),
    );
    expect(lines).toEqual([
      `lat_seconds_bucket{${ID},le="+Inf"} 6 @${T_MS}`,
      `lat_seconds_bucket{${ID},le="0.005"} 1 @${T_MS}`,
      `lat_seconds_bucket{${ID},le="1"} 3 @${T_MS}`,
      `lat_seconds_count{${ID}} 6 @${T_MS}`,
      `lat_seconds_sum{${ID}} 3.5 @${T_MS}`,
    ]);
  });

  it('writes only the +Inf bucket and no _sum for a histogram without buckets or sum', () => {
    const { lines } = translate(request([{ name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T, count: '2' }] } }], {}));
    expect(lines).toEqual([`h_bucket{le="+Inf"} 2 @${T_MS}`, `h_count{} 2 @${T_MS}`]);
  });

  it('refuses histogram points whose bucket counts do not match the bounds, or are negative, or do not add up', () => {
    const { lines, t } = translate(
      request(
        [
          {
            name: 'h',
            histogram: {
              aggregationTemporality: 2,
              dataPoints: [
                { timeUnixNano: T, count: '3', bucketCounts: ['1', '2'], explicitBounds: [1, 2] },
                { timeUnixNano: T, count: '1', bucketCounts: ['-1', '2'], explicitBounds: [1] },
                { timeUnixNano: T, count: '9', bucketCounts: ['1', '2'], explicitBounds: [1] },
                { timeUnixNano: T, count: '3', bucketCounts: ['1', '2'], explicitBounds: [1], attributes: kv({ ok: 'yes' }) },
              ],
            },
          },
        ],
        {},
      ),
    );
    expect(t.rejectedPoints).toBe(3);
    expect(t.reasons).toEqual([
      'metric "h": data point 0: 2 bucket counts for 2 explicit bounds (want 3: one per bound plus +Inf)',
      'metric "h": data point 1: bucket count 0 is -1: counts must be non-negative integers',
      'metric "h": data point 2: count 9 differs from the sum of its bucket counts, 3',
    ]);
    expect(lines).toHaveLength(3); // le="1", le="+Inf", _count
    expect(lines.every((l) => l.includes('ok="yes"'))).toBe(true);
  });

  it('counts a histogram point whose labels fail the label checks once, not once per series', () => {
    const { t, b } = translate(
      request(
        [
          {
            name: 'h',
            histogram: {
              aggregationTemporality: 2,
              dataPoints: [
                { timeUnixNano: T, count: '1', bucketCounts: ['1', '0'], explicitBounds: [1], attributes: kv({ long: 'x'.repeat(20) }) },
                { timeUnixNano: T, count: '1', bucketCounts: ['1', '0'], explicitBounds: [1], attributes: kv({ short: 'x' }) },
              ],
            },
          },
        ],
        {},
      ),
      {},
      { maxLabelValueLen: 10 },
    );
    expect(t.labelDroppedPoints).toBe(1);
    expect(t.rejectedPoints).toBe(0);
    expect(b.dropped.series).toBe(3);
    expect(b.dropped.reasons[0]).toMatch(/value of label "long" .* is longer than 10 bytes/);
    expect(b.sampleCount).toBe(3);
  });

  it('maps a summary to quantile series, _sum and _count', () => {
    const { lines } = translate(
      request(
        [
          {
            name: 'rpc',
            unit: 'ms',
            summary: {
              dataPoints: [
                {
                  timeUnixNano: T,
                  count: '10',
                  sum: 55,
                  quantileValues: [
                    { quantile: 0.5, value: 4 },
                    { quantile: 0.99, value: 9 },
                  ],
                },
              ],
            },
          },
        ],
        {},
      ),
    );
    expect(lines).toEqual([
      `rpc_milliseconds_count{} 10 @${T_MS}`,
      `rpc_milliseconds_sum{} 55 @${T_MS}`,
      `rpc_milliseconds{quantile="0.5"} 4 @${T_MS}`,
      `rpc_milliseconds{quantile="0.99"} 9 @${T_MS}`,
    ]);
  });

  it('converts exponential histograms to native histograms kept aside, with their series labels', () => {
    const { t, b } = translate(
      request(
        [
          {
            name: 'e',
            unit: 's',
            exponentialHistogram: {
              aggregationTemporality: 2,
              dataPoints: [{ timeUnixNano: T, count: '3', sum: 1, scale: 1, positive: { offset: 0, bucketCounts: ['3'] } }],
            },
          },
        ],
        { 'service.name': 'shop' },
      ),
    );
    expect(b.sampleCount).toBe(0);
    expect(b.histograms).toBe(1);
    expect(t.histograms).toHaveLength(1);
    expect(t.histograms[0]!.labels).toEqual([
      { name: '__name__', value: 'e_seconds' },
      { name: 'job', value: 'shop' },
    ]);
    expect(t.histograms[0]!.timestamp).toBe(T_MS);
    expect(t.histograms[0]!.histogram).toMatchObject({ schema: 1, count: 3, positiveSpans: [{ offset: 1, length: 1 }] });
  });

  it('writes staleness markers for NO_RECORDED_VALUE points, on every series of a histogram', () => {
    const { lines } = translate(
      request(
        [
          { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asDouble: 5, flags: 1 }] } },
          { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T, flags: 1 }] } },
        ],
        {},
      ),
    );
    expect(lines).toEqual([`g{} stale @${T_MS}`, `h_bucket{le="+Inf"} stale @${T_MS}`, `h_count{} stale @${T_MS}`]);
  });

  it('writes the other resource attributes to target_info with job and instance', () => {
    const { lines } = translate(
      request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1' }] } }], {
        'service.name': 'shop',
        'service.instance.id': 'i-1',
        'host.name': 'h1',
        'k8s.pod.name': 'p',
      }),
    );
    expect(lines).toEqual([`g{instance="i-1",job="shop"} 1 @${T_MS}`, `target_info{host_name="h1",instance="i-1",job="shop",k8s_pod_name="p"} 1 @${T_MS}`]);
  });

  it('writes no target_info without other attributes, or without service name or instance id', () => {
    expect(translate(request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1' }] } }])).lines).toHaveLength(1);
    expect(translate(request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1' }] } }], { 'host.name': 'h' })).lines).toEqual([
      `g{} 1 @${T_MS}`,
    ]);
  });

  it('sanitises attribute names and joins values of attributes that collide after it', () => {
    const { lines } = translate(
      request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1', attributes: kv({ 'a.b': 'dot', 'a-b': 'dash', '1x': 'digit' }) }] } }], {}),
    );
    expect(lines).toEqual([`g{a_b="dash;dot",key_1x="digit"} 1 @${T_MS}`]);
  });

  it('lets job and instance from the resource win over point attributes of the same name', () => {
    const { lines } = translate(
      request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1', attributes: kv({ job: 'mine' }) }] } }], { 'service.name': 'shop' }),
    );
    expect(lines).toEqual([`g{job="shop"} 1 @${T_MS}`]);
  });

  it('adds no scope labels by default, and otel_scope_* with promoteScopeMetadata', () => {
    const body = request(
      [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1' }] } }],
      {},
      { name: 'lib', version: '1.0', attributes: kv({ 'team.name': 'x' }) },
    );
    expect(translate(body).lines).toEqual([`g{} 1 @${T_MS}`]);
    expect(translate(body, { promoteScopeMetadata: true }).lines).toEqual([
      `g{otel_scope_name="lib",otel_scope_team_name="x",otel_scope_version="1.0"} 1 @${T_MS}`,
    ]);
  });

  it('copies promoted resource attributes onto the series', () => {
    const body = request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T, asInt: '1' }] } }], { 'service.name': 's', 'k8s.namespace.name': 'ns' });
    expect(translate(body, { promoteResourceAttributes: ['k8s.namespace.name'] }).lines[0]).toBe(`g{job="s",k8s_namespace_name="ns"} 1 @${T_MS}`);
  });

  it('keeps names as sent under NoTranslation', () => {
    const { lines } = translate(
      request(
        [
          {
            name: 'http.requests',
            unit: 's',
            sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: T, asInt: '1', attributes: kv({ 'http.method': 'GET' }) }] },
          },
        ],
        {},
      ),
      { strategy: 'NoTranslation' },
    );
    expect(lines).toEqual([`http.requests{http.method="GET"} 1 @${T_MS}`]);
  });

  it('counts exemplars and hands them to the exemplar hook with the series labels', () => {
    const seen: string[] = [];
    const body = request(
      [
        {
          name: 'c',
          sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: T, asInt: '1', exemplars: [{ timeUnixNano: T, asDouble: 0.5 }] }] },
        },
      ],
      {},
    );
    const { b } = translate(body, { onExemplars: (labels, ex) => seen.push(`${labels.map((l) => l.value).join(',')}:${ex.map((e) => e.value).join(',')}`) });
    expect(b.exemplars).toBe(1);
    expect(seen).toEqual(['c_total:0.5']);
  });
});

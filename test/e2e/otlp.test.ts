/**
 * OTLP/HTTP metrics end to end: the OpenTelemetry JS SDK's own exporters (protobuf and JSON)
 * push to a real Strata server, and what /api/v1/query answers is what the SDK recorded. Then
 * hand-made bodies for the parts a well-behaved SDK never sends: tenant paths, gzip, partial
 * success, and bad input.
 */
import { gzipSync } from 'node:zlib';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { decodeOtlpResponse, encodeOtlp } from '../ingest/otlp-protos.js';
import { api, type VectorSample } from './client.js';

const warnings: string[] = [];
const collect = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
const logger: DiagLogger = { error: collect, warn: collect, info: () => {}, debug: () => {}, verbose: () => {} };

async function query(url: string, q: string, prefix = ''): Promise<VectorSample[]> {
  const r = await api<{ result: VectorSample[] }>(url, `${prefix}/api/v1/query`, { query: q });
  expect(r.status).toBe(200);
  return r.body.data.result;
}

async function value(url: string, q: string): Promise<string | undefined> {
  const res = await query(url, q);
  expect(res.length).toBeLessThanOrEqual(1);
  return res[0]?.value[1];
}

/** Records a fixed set of instruments through the SDK and pushes them with `exporter`, once. */
async function pushWithSdk(exporter: PushMetricExporter, service: string): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.namespace': 'e2e', 'service.instance.id': `${service}-1`, 'host.name': 'box' }),
    readers: [reader],
    views: [{ instrumentName: 'op.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('strata-e2e', '1.0.0');
  const requests = meter.createCounter('http.requests', { unit: '{request}' });
  requests.add(5, { route: '/a' });
  requests.add(3, { route: '/a' });
  requests.add(2, { route: '/b' });
  meter.createUpDownCounter('queue.depth').add(7);
  meter.createGauge('cpu.utilization', { unit: '1' }).record(0.25, { cpu: '0' });
  const latency = meter.createHistogram('http.latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
  for (const v of [0.05, 0.5, 0.7, 5, 50]) latency.record(v, { route: '/a' });
  const ops = meter.createHistogram('op.duration', { unit: 'ms' });
  for (const v of [1, 2, 4, 8]) ops.record(v);
  await reader.forceFlush();
  await provider.shutdown();
}

describe('OTLP/HTTP from the OpenTelemetry JS SDK', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    diag.setLogger(logger, DiagLogLevel.WARN);
    s = await startStrata();
  });
  afterAll(async () => {
    diag.disable();
    await s.stop();
  });

  for (const [kind, make, path] of [
    ['protobuf', (url: string) => new ProtoExporter({ url }), '/opentelemetry/v1/metrics'],
    ['JSON', (url: string) => new JsonExporter({ url }), '/api/v1/otlp/v1/metrics'],
  ] as const) {
    it(`stores counters, gauges and histograms pushed by the ${kind} exporter (${path}) under Prometheus 3 names`, async () => {
      const service = `svc-${kind.toLowerCase()}`;
      warnings.length = 0;
      await pushWithSdk(make(`${s.url}${path}`), service);
      const sel = `job="e2e/${service}",instance="${service}-1"`;
      expect(await value(s.url, `http_requests_total{${sel},route="/a"}`)).toBe('8');
      expect(await value(s.url, `http_requests_total{${sel},route="/b"}`)).toBe('2');
      expect(await value(s.url, `queue_depth{${sel}}`)).toBe('7');
      expect(await value(s.url, `cpu_utilization_ratio{${sel},cpu="0"}`)).toBe('0.25');
      const buckets = await query(s.url, `http_latency_seconds_bucket{${sel},route="/a"}`);
      expect(Object.fromEntries(buckets.map((b) => [b.metric.le, b.value[1]]))).toEqual({ '0.1': '1', '1': '3', '10': '4', '+Inf': '5' });
      expect(await value(s.url, `http_latency_seconds_count{${sel},route="/a"}`)).toBe('5');
      expect(Number(await value(s.url, `http_latency_seconds_sum{${sel},route="/a"}`))).toBeCloseTo(56.25, 10);
      const info = await query(s.url, `target_info{${sel}}`);
      // The identifying attributes become job and instance only; the others become labels.
      expect(info.map((r) => r.metric)).toEqual([{ __name__: 'target_info', job: `e2e/${service}`, instance: `${service}-1`, host_name: 'box' }]);
      // The exponential histogram is stored as a native histogram: 4 observations, sum 15.
      const r = await fetch(`${s.url}/api/v1/export?${new URLSearchParams({ 'match[]': `{__name__=~"op_duration.*",${sel}}` })}`);
      const lines = (await r.text())
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { histograms?: { count: string; sum: string }[] });
      // (The SDK may export the cumulative histogram more than once: every sample is the same.)
      const hs = lines.flatMap((l) => l.histograms ?? []).map((h) => [h.count, h.sum]);
      expect(hs.length).toBeGreaterThan(0);
      expect(new Set(hs.map((x) => x.join(' ')))).toEqual(new Set(['4 15']));
      expect(warnings.join('\n')).not.toMatch(/Partial Success/);
    });
  }
});

const NOW_NS = () => `${Date.now()}000000`;

function gaugeRequest(name: string, v: number, extra: Record<string, unknown>[] = []) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw' } }] },
        scopeMetrics: [{ metrics: [{ name, gauge: { dataPoints: [{ timeUnixNano: NOW_NS(), asDouble: v }] } }, ...extra] }],
      },
    ],
  };
}

function post(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers });
}

const JSON_H = { 'Content-Type': 'application/json' };
const PROTO_H = { 'Content-Type': 'application/x-protobuf' };

describe('OTLP/HTTP requests and answers', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({ args: ['--maxInsertRequestSize=1MB'] });
  });
  afterAll(() => s.stop());

  it('answers a fully stored request with an empty ExportMetricsServiceResponse in the request encoding', async () => {
    const j = await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(gaugeRequest('ok_json', 1)), JSON_H);
    expect(j.status).toBe(200);
    expect(j.headers.get('content-type')).toBe('application/json');
    expect(await j.json()).toEqual({});
    const p = await post(`${s.url}/opentelemetry/v1/metrics`, encodeOtlp(gaugeRequest('ok_proto', 2)), PROTO_H);
    expect(p.status).toBe(200);
    expect(p.headers.get('content-type')).toBe('application/x-protobuf');
    expect(new Uint8Array(await p.arrayBuffer()).length).toBe(0);
    expect(await value(s.url, 'ok_proto{job="raw"}')).toBe('2');
  });

  it('accepts gzip bodies', async () => {
    const r = await post(`${s.url}/api/v1/otlp/v1/metrics`, gzipSync(encodeOtlp(gaugeRequest('gz_metric', 3))), { ...PROTO_H, 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(await value(s.url, 'gz_metric')).toBe('3');
  });

  it('writes to the tenant of the path: /insert/<tenant>/opentelemetry/... and /insert/<tenant>/prometheus/api/v1/otlp/...', async () => {
    expect((await post(`${s.url}/insert/7/opentelemetry/v1/metrics`, JSON.stringify(gaugeRequest('tenant_a', 4)), JSON_H)).status).toBe(200);
    expect((await post(`${s.url}/insert/7:1/prometheus/api/v1/otlp/v1/metrics`, JSON.stringify(gaugeRequest('tenant_b', 5)), JSON_H)).status).toBe(200);
    expect((await query(s.url, 'tenant_a', '/select/7/prometheus')).map((r) => r.value[1])).toEqual(['4']);
    expect((await query(s.url, 'tenant_b', '/select/7:1/prometheus')).map((r) => r.value[1])).toEqual(['5']);
    expect(await query(s.url, 'tenant_a')).toEqual([]);
  });

  it('stores the good points of a request and reports the rejected ones in partial_success (protobuf)', async () => {
    const bad = {
      name: 'bad_hist',
      histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: NOW_NS(), count: '3', bucketCounts: ['1', '2'], explicitBounds: [1, 2] }] },
    };
    const delta = { name: 'delta_sum', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: NOW_NS(), asInt: '1' }] } };
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, encodeOtlp(gaugeRequest('partial_good', 6, [bad, delta])), PROTO_H);
    expect(r.status).toBe(200);
    const res = decodeOtlpResponse(new Uint8Array(await r.arrayBuffer()));
    expect(res.partialSuccess?.rejectedDataPoints).toBe('2');
    expect(res.partialSuccess?.errorMessage).toContain('metric "bad_hist": data point 0: 2 bucket counts for 2 explicit bounds');
    expect(res.partialSuccess?.errorMessage).toContain('metric "delta_sum": delta temporality is not supported');
    expect(await value(s.url, 'partial_good')).toBe('6');
    expect(await query(s.url, '{__name__=~"bad_hist.*|delta_sum.*"}')).toEqual([]);
  });

  it('reports negative counts (JSON) in partial_success and keeps the rest', async () => {
    const neg = { name: 'neg', summary: { dataPoints: [{ timeUnixNano: NOW_NS(), count: '-4', sum: 1 }] } };
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(gaugeRequest('neg_good', 7, [neg])), JSON_H);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      partialSuccess: { rejectedDataPoints: '1', errorMessage: 'metric "neg": data point 0: count is -4: counts must be non-negative integers' },
    });
    expect(await value(s.url, 'neg_good')).toBe('7');
  });

  it('reports a point whose labels break the label rules once, naming the label, and keeps the rest', async () => {
    const long = {
      name: 'long_label',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [
          {
            timeUnixNano: NOW_NS(),
            count: '1',
            bucketCounts: ['1', '0'],
            explicitBounds: [1],
            attributes: [{ key: 'path', value: { stringValue: 'p'.repeat(5000) } }],
          },
        ],
      },
    };
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(gaugeRequest('long_good', 9, [long])), JSON_H);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/value of label "path" .* is longer than 4096 bytes/);
    expect(await value(s.url, 'long_good')).toBe('9');
  });

  it('answers malformed protobuf with 400 and a google.rpc.Status naming the problem', async () => {
    const good = encodeOtlp(gaugeRequest('never', 1));
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, good.subarray(0, good.length - 3), PROTO_H);
    expect(r.status).toBe(400);
    const body = Buffer.from(await r.arrayBuffer());
    expect(body[0]).toBe(0x08); // Status.code
    expect(body[1]).toBe(3); // INVALID_ARGUMENT
    expect(body.toString('latin1')).toMatch(/malformed OTLP ExportMetricsServiceRequest protobuf: .* at byte \d+/);
  });

  it('answers bad JSON with 400 and a JSON Status', async () => {
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, '{"resourceMetrics":[{', JSON_H);
    expect(r.status).toBe(400);
    const body = (await r.json()) as { code: number; message: string };
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/malformed OTLP JSON ExportMetricsServiceRequest/);
  });

  it('answers a body that is not gzip while saying so with 400', async () => {
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(gaugeRequest('x', 1)), { ...JSON_H, 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/cannot decompress gzip request body/);
  });

  it('answers an unknown Content-Type with 415', async () => {
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, 'x', { 'Content-Type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(Buffer.from(await r.arrayBuffer()).toString('latin1')).toContain('OTLP/HTTP needs application/x-protobuf or application/json');
  });

  it('answers an oversized body with 413', async () => {
    const big = JSON.stringify(gaugeRequest('big', 1, [{ name: 'pad', description: 'x'.repeat(1_100_000) }]));
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, big, JSON_H);
    expect(r.status).toBe(413);
  });

  it('ends a series at a NO_RECORDED_VALUE point (staleness marker)', async () => {
    const t0 = Date.now() - 60_000;
    const point = (t: number, extra: Record<string, unknown>) => ({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'stale_me', gauge: { dataPoints: [{ timeUnixNano: `${t}000000`, ...extra }] } }] }] }],
    });
    expect((await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(point(t0, { asDouble: 9 })), JSON_H)).status).toBe(200);
    expect((await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(point(t0 + 30_000, { flags: 1 })), JSON_H)).status).toBe(200);
    const at = async (ms: number) =>
      (await api<{ result: VectorSample[] }>(s.url, '/api/v1/query', { query: 'stale_me', time: String(ms / 1000) })).body.data.result;
    expect((await at(t0 + 10_000)).map((r) => r.value[1])).toEqual(['9']);
    expect(await at(t0 + 40_000)).toEqual([]);
  });

  it('still accepts writes after all of that', async () => {
    const r = await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(gaugeRequest('after_bad', 8)), JSON_H);
    expect(r.status).toBe(200);
    expect(await value(s.url, 'after_bad')).toBe('8');
  });
});

describe('OTLP translation flags', () => {
  let s: StrataProcess;
  beforeAll(async () => {
    s = await startStrata({
      args: ['--otlp.translationStrategy=NoTranslation', '--otlp.promoteScopeMetadata=true', '--otlp.promoteResourceAttributes=deployment.environment'],
    });
  });
  afterAll(() => s.stop());

  it('keeps names as sent with --otlp.translationStrategy=NoTranslation and adds the promoted labels', async () => {
    const body = {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'raw' } },
              { key: 'deployment.environment', value: { stringValue: 'prod' } },
            ],
          },
          scopeMetrics: [
            {
              scope: { name: 'my.lib', version: '2' },
              metrics: [
                {
                  name: 'http.requests',
                  unit: 's',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ timeUnixNano: NOW_NS(), asInt: '12', attributes: [{ key: 'http.method', value: { stringValue: 'GET' } }] }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    expect((await post(`${s.url}/opentelemetry/v1/metrics`, JSON.stringify(body), JSON_H)).status).toBe(200);
    const res = await query(s.url, '{__name__="http.requests"}');
    expect(res.map((r) => [r.metric, r.value[1]])).toEqual([
      [
        { __name__: 'http.requests', 'http.method': 'GET', job: 'raw', 'deployment.environment': 'prod', otel_scope_name: 'my.lib', otel_scope_version: '2' },
        '12',
      ],
    ]);
  });
});

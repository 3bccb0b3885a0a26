/** Small HTTP helpers for end-to-end tests against a running server. */
import { encodeRemoteWriteV1, encodeRemoteWriteV2, type EncodeSeries } from '../../src/ingest/index.js';

export const RW1_HEADERS = { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' };
export const RW2_HEADERS = {
  'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '2.0.0',
};

export function series(name: string, labels: Record<string, string>, timestamps: number[], values: number[]): EncodeSeries {
  return { labels: [{ name: '__name__', value: name }, ...Object.entries(labels).map(([n, v]) => ({ name: n, value: v }))], timestamps, values };
}

export function writeV1(url: string, s: EncodeSeries[], extraHeaders: Record<string, string> = {}, query = ''): Promise<Response> {
  return fetch(`${url}/api/v1/write${query}`, { method: 'POST', body: encodeRemoteWriteV1(s), headers: { ...RW1_HEADERS, ...extraHeaders } });
}

export function writeV2(url: string, s: EncodeSeries[]): Promise<Response> {
  return fetch(`${url}/api/v1/write`, { method: 'POST', body: encodeRemoteWriteV2(s), headers: RW2_HEADERS });
}

export interface ApiBody<T> {
  status: string;
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export async function api<T>(url: string, path: string, params: Record<string, string | string[]> = {}): Promise<{ status: number; body: ApiBody<T> }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  const r = await fetch(`${url}${path}?${qs}`);
  return { status: r.status, body: (await r.json()) as ApiBody<T> };
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function instant(url: string, query: string, timeSec: number): Promise<VectorSample[]> {
  const r = await api<{ resultType: string; result: VectorSample[] }>(url, '/api/v1/query', { query, time: String(timeSec) });
  if (r.status !== 200) throw new Error(`query ${query} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data.result;
}

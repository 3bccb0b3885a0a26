/**
 * The data the UI tests and the README screenshot look at, ingested through the real API as
 * Prometheus text exposition (with TYPE/HELP, so metadata exists for autocomplete):
 * 1,000 counter series (4 jobs × 250 instances) × 1 h at 15 s, plus one classic histogram; and one
 * native histogram by remote write 2.0.
 */
import { encodeRemoteWriteV2, type EncodeHistogram, type EncodeSeries } from '../../src/ingest/index.js';
import { CounterResetHint, type FloatHistogram } from '../../src/model/index.js';
import { RW2_HEADERS } from '../e2e/client.js';
export const JOBS = ['api', 'web', 'db', 'cache'] as const;
export const INSTANCES_PER_JOB = 250;
export const COUNTER = 'ui_test_requests_total';
export const HISTOGRAM = 'ui_test_latency_seconds';
export const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '+Inf'] as const;
/** A native histogram (schema 0, buckets (0.25, 0.5], (0.5, 1], (1, 2]), sent by remote write 2.0. */
export const NATIVE_HISTOGRAM = 'ui_test_native_seconds';
export const NATIVE_BUCKETS = 3;
export const STEP_MS = 15_000;
export const POINTS = 241;

/** Ingests everything ending at `endMs`; resolves once the data is queryable. */
export async function ingestUiData(url: string, endMs: number): Promise<void> {
  const end = Math.floor(endMs / STEP_MS) * STEP_MS;
  const start = end - (POINTS - 1) * STEP_MS;
  for (const [j, job] of JOBS.entries()) {
    const lines = [`# HELP ${COUNTER} Requests handled, by job and instance.`, `# TYPE ${COUNTER} counter`];
    for (let i = 0; i < INSTANCES_PER_JOB; i++) {
      const inst = `i-${String(i).padStart(3, '0')}`;
      const rate = (1 + ((i * 7) % 13)) * (j + 1);
      for (let k = 0; k < POINTS; k++) lines.push(`${COUNTER}{job="${job}",instance="${inst}"} ${rate * k * 15 + i} ${start + k * STEP_MS}`);
    }
    await post(url, lines.join('\n') + '\n');
  }
  const h = [`# HELP ${HISTOGRAM} Request latency.`, `# TYPE ${HISTOGRAM} histogram`];
  // Observations per bucket and step drift over the hour, so quantiles and the heatmap move.
  const totals = BUCKETS.map(() => 0);
  for (let k = 0; k < POINTS; k++) {
    const t = start + k * STEP_MS;
    const weights = [40 + 30 * Math.sin(k / 20), 30, 15 + 10 * Math.cos(k / 30), 8 + 6 * Math.sin(k / 15), 4 + 3 * Math.cos(k / 25), 3];
    let cum = 0;
    BUCKETS.forEach((le, j) => {
      totals[j]! += Math.round(weights[j]!);
      cum += totals[j]!;
      h.push(`${HISTOGRAM}_bucket{job="api",le="${le}"} ${cum} ${t}`);
    });
    h.push(`${HISTOGRAM}_sum{job="api"} ${cum * 0.2} ${t}`, `${HISTOGRAM}_count{job="api"} ${cum} ${t}`);
  }
  await post(url, h.join('\n') + '\n');
  const histograms: EncodeHistogram[] = [];
  const counts = [0, 0, 0];
  for (let k = 0; k < POINTS; k++) {
    counts[0]! += 5;
    counts[1]! += 3 + (k % 4);
    counts[2]! += 1;
    const count = counts[0]! + counts[1]! + counts[2]!;
    const histogram: FloatHistogram = {
      schema: 0,
      counterResetHint: CounterResetHint.Unknown,
      zeroThreshold: 0,
      zeroCount: 0,
      count,
      sum: count * 0.7,
      positiveSpans: [{ offset: -1, length: 3 }],
      positiveBuckets: Float64Array.from(counts),
      negativeSpans: [],
      negativeBuckets: new Float64Array(0),
      customValues: new Float64Array(0),
    };
    histograms.push({ timestamp: start + k * STEP_MS, histogram, integer: true });
  }
  const native: EncodeSeries = {
    labels: [
      { name: '__name__', value: NATIVE_HISTOGRAM },
      { name: 'job', value: 'api' },
    ],
    histograms,
  };
  const r = await fetch(`${url}/api/v1/write`, { method: 'POST', body: encodeRemoteWriteV2([native]), headers: RW2_HEADERS });
  if (r.status !== 204) throw new Error(`remote write failed: ${r.status} ${await r.text()}`);
}

async function post(url: string, body: string): Promise<void> {
  const r = await fetch(`${url}/api/v1/import/prometheus`, { method: 'POST', body });
  if (r.status !== 204 && r.status !== 200) throw new Error(`import failed: ${r.status} ${await r.text()}`);
}

/**
 * OTLP/HTTP metrics: `POST /opentelemetry/v1/metrics` (VictoriaMetrics's path) and
 * `/api/v1/otlp/v1/metrics` (Prometheus's), with the tenant prefixes of the other write paths.
 * Protobuf or JSON by Content-Type, gzip/deflate/zstd by Content-Encoding. The answer follows
 * the OTLP/HTTP spec: 200 with an `ExportMetricsServiceResponse` in the request's encoding, whose
 * `partial_success` counts and names the points that were not stored (the good ones of the same
 * request are); a body that cannot be read at all is a 4xx with a `google.rpc.Status` naming why.
 */
import {
  IngestError,
  decompressBody,
  parseBodyEncoding,
  decodeExportRequestJson,
  decodeExportRequestProto,
  encodeExportResponse,
  encodeStatus,
  OTLP_CONTENT_TYPES,
  translateExportRequest,
  type OtlpEncoding,
  type OtlpOptions,
} from '../ingest/index.js';
import { HttpError } from './errors.js';
import type { Request, Response } from './request.js';
import type { Router } from './router.js';
import { asHttpError, assertWritable, writeBatch, type IngestCounters, type IngestDeps } from './routes-ingest.js';

export const OTLP_METRICS_PATHS = ['/opentelemetry/v1/metrics', '/api/v1/otlp/v1/metrics'] as const;

export type OtlpRouteOptions = OtlpOptions;

/** Picks the encoding from Content-Type; an absent header is taken as protobuf, the OTLP default. */
export function parseOtlpContentType(header: string | undefined | null): OtlpEncoding {
  const media = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === '' || media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  throw new IngestError(415, `unsupported Content-Type ${JSON.stringify(header)}: OTLP/HTTP needs application/x-protobuf or application/json`);
}

function asStatusResponse(e: unknown, encoding: OtlpEncoding): Response {
  const he = asHttpError(e);
  if (!(he instanceof HttpError)) throw e;
  return {
    status: he.status,
    headers: { ...he.headers, 'Content-Type': OTLP_CONTENT_TYPES[encoding] },
    body: encodeStatus(encoding, he.status, he.message),
  };
}

export function registerOtlpRoutes(router: Router, deps: IngestDeps, counters: IngestCounters, opts: OtlpRouteOptions): void {
  const handler = async (req: Request): Promise<Response> => {
    let encoding: OtlpEncoding = 'protobuf';
    try {
      encoding = parseOtlpContentType(req.headers.get('content-type'));
      assertWritable(deps);
      return await deps.limiter.run(async () => {
        const bodyEncoding = parseBodyEncoding(req.headers.get('content-encoding'));
        const body = await decompressBody(bodyEncoding, await req.body(), deps.limits.maxDecompressedBytes);
        const request = encoding === 'json' ? decodeExportRequestJson(body) : decodeExportRequestProto(body);
        const t = translateExportRequest(request, opts, deps.limits);
        // Exponential histograms, converted to native ones, are stored with the batch.
        for (const h of t.histograms) {
          const series = t.builder.addLabels([...h.labels], 1);
          if (series >= 0) t.builder.addHistogram(series, h.timestamp, h.histogram);
        }
        const batch = t.builder.build();
        const outcome = await writeBatch(deps, counters, req, batch, 'opentelemetry');
        // Label-check drops count once per data point; storage drops (out of bounds, series
        // limits) are known only per sample.
        let rejected = t.rejectedPoints + t.labelDroppedPoints + Math.max(0, outcome.droppedSamples - batch.dropped.samples);
        const problems = [...t.reasons];
        problems.push(...outcome.problems);
        const partial = rejected > 0 || problems.length > 0 ? { rejectedDataPoints: rejected, errorMessage: problems.join('; ') } : null;
        return { status: 200, headers: { 'Content-Type': OTLP_CONTENT_TYPES[encoding] }, body: encodeExportResponse(encoding, partial) };
      }, req.signal);
    } catch (e) {
      return asStatusResponse(e, encoding);
    }
  };
  for (const path of OTLP_METRICS_PATHS) router.add('POST', path, handler, { errorFormat: 'text', deadlineMs: 60_000 });
}

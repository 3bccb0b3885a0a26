import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/**
 * The real OpenTelemetry schemas from /work/shared/protos/opentelemetry, loaded with protobufjs:
 * an encoder independent of ours for the decoder tests. `encodeOtlp` takes the OTLP/JSON shape
 * (lowerCamelCase, 64-bit integers as strings), so one fixture gives both wire encodings.
 */
const DIR = '/work/shared/protos/opentelemetry/proto';

const root = new protobuf.Root();
for (const f of ['common/v1/common.proto', 'resource/v1/resource.proto', 'metrics/v1/metrics.proto', 'collector/metrics/v1/metrics_service.proto']) {
  protobuf.parse(readFileSync(`${DIR}/${f}`, 'utf8'), root, { keepCase: false });
}

export const ExportMetricsServiceRequest = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
export const ExportMetricsServiceResponse = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');

export function encodeOtlp(obj: Record<string, unknown>): Uint8Array {
  // No verify(): it wants Long objects, while fromObject takes the decimal strings OTLP/JSON uses.
  return ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(obj)).finish();
}

export function decodeOtlpResponse(body: Uint8Array): { partialSuccess?: { rejectedDataPoints?: string; errorMessage?: string } } {
  return ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(body), { longs: String }) as never;
}

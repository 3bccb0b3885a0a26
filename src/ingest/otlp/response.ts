/**
 * What an OTLP/HTTP receiver answers, in the request's encoding: `ExportMetricsServiceResponse`
 * on success (with `partial_success` when points were rejected), `google.rpc.Status` on failure.
 */
import { ProtoWriter } from '../proto-writer.js';

export type OtlpEncoding = 'protobuf' | 'json';

export const OTLP_CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export interface PartialSuccess {
  readonly rejectedDataPoints: number;
  readonly errorMessage: string;
}

/** An empty message when nothing was rejected, as the OTLP spec asks. */
export function encodeExportResponse(encoding: OtlpEncoding, partial: PartialSuccess | null): Uint8Array | string {
  if (encoding === 'json') {
    if (partial === null) return '{}';
    // int64 in proto3 JSON is a decimal string.
    return JSON.stringify({ partialSuccess: { rejectedDataPoints: String(partial.rejectedDataPoints), errorMessage: partial.errorMessage } });
  }
  if (partial === null) return new Uint8Array(0);
  const inner = new ProtoWriter();
  if (partial.rejectedDataPoints !== 0) inner.tag(1, 0).varint(partial.rejectedDataPoints);
  if (partial.errorMessage !== '') inner.string(2, partial.errorMessage);
  return new ProtoWriter().bytes(1, inner.finish()).finish();
}

/** `google.rpc.Status` with the gRPC code matching an HTTP status (3 INVALID_ARGUMENT for 4xx). */
export function encodeStatus(encoding: OtlpEncoding, httpStatus: number, message: string): Uint8Array | string {
  const code = httpStatus === 429 ? 8 : httpStatus === 503 ? 14 : httpStatus === 401 ? 16 : httpStatus >= 500 ? 13 : 3;
  if (encoding === 'json') return JSON.stringify({ code, message });
  return new ProtoWriter().tag(1, 0).varint(code).string(2, message).finish();
}

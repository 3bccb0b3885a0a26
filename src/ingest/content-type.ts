import { IngestError } from './errors.js';

export type RemoteWriteVersion = 'v1' | 'v2';

const V1_PROTO = 'prometheus.WriteRequest';
const V2_PROTO = 'io.prometheus.write.v2.Request';

/**
 * Picks the remote-write message type from `Content-Type`, as Prometheus's receiver does: a missing
 * header or plain `application/x-protobuf` is 1.0; `proto=` names the message; anything else is
 * 415 Unsupported Media Type.
 */
export function parseContentType(header: string | undefined | null): RemoteWriteVersion {
  if (header === undefined || header === null || header.trim() === '') return 'v1';
  const parts = header.split(';');
  const media = parts[0]!.trim().toLowerCase();
  if (media !== 'application/x-protobuf') {
    throw new IngestError(415, `unsupported Content-Type ${JSON.stringify(header)}: remote write needs application/x-protobuf`);
  }
  let proto: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i]!.indexOf('=');
    if (eq < 0) continue;
    const k = parts[i]!.slice(0, eq).trim().toLowerCase();
    let v = parts[i]!.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (k === 'proto') proto = v;
  }
  if (proto === undefined || proto === V1_PROTO) return 'v1';
  if (proto === V2_PROTO) return 'v2';
  throw new IngestError(415, `unsupported remote write message proto=${JSON.stringify(proto)}: supported are ${V1_PROTO} and ${V2_PROTO}`);
}

/** Remote write bodies must be snappy; an absent header is tolerated as Prometheus does. */
export function checkContentEncoding(header: string | undefined | null): void {
  if (header === undefined || header === null) return;
  const v = header.trim().toLowerCase();
  if (v === '' || v === 'snappy') return;
  throw new IngestError(415, `unsupported Content-Encoding ${JSON.stringify(header)}: remote write bodies must be snappy-compressed`);
}

/** Response headers a remote write 2.0 receiver must send on success. */
export function remoteWriteV2ResponseHeaders(written: { samples: number; histograms: number; exemplars: number }): Record<string, string> {
  return {
    'X-Prometheus-Remote-Write-Samples-Written': String(written.samples),
    'X-Prometheus-Remote-Write-Histograms-Written': String(written.histograms),
    'X-Prometheus-Remote-Write-Exemplars-Written': String(written.exemplars),
  };
}

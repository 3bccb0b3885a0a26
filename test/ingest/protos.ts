import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/**
 * The real Prometheus schemas from /work/shared/protos, loaded with protobufjs after stripping the
 * gogoproto import and options (protobufjs does not need them and the file is not shipped).
 */
const DIR = '/work/shared/protos';

function strip(text: string): string {
  return text
    .replace(/^import "gogoproto\/gogo.proto";$/m, '')
    .replace(/^import "types.proto";$/m, '')
    .replace(/\s*\[\(gogoproto\.[^\]]*\]/g, '');
}

const root = new protobuf.Root();
protobuf.parse(strip(readFileSync(`${DIR}/types.proto`, 'utf8')), root, { keepCase: false });
protobuf.parse(strip(readFileSync(`${DIR}/remote.proto`, 'utf8')), root, { keepCase: false });
protobuf.parse(strip(readFileSync(`${DIR}/io/prometheus/write/v2/types.proto`, 'utf8')), root, { keepCase: false });

export const WriteRequestV1 = root.lookupType('prometheus.WriteRequest');
export const RequestV2 = root.lookupType('io.prometheus.write.v2.Request');

export function encodeV1(obj: Record<string, unknown>): Uint8Array {
  const err = WriteRequestV1.verify(obj);
  if (err) throw new Error(err);
  return WriteRequestV1.encode(WriteRequestV1.fromObject(obj)).finish();
}

export function encodeV2(obj: Record<string, unknown>): Uint8Array {
  const err = RequestV2.verify(obj);
  if (err) throw new Error(err);
  return RequestV2.encode(RequestV2.fromObject(obj)).finish();
}

export const ReadRequest = root.lookupType('prometheus.ReadRequest');
export const ReadResponse = root.lookupType('prometheus.ReadResponse');
export const ChunkedReadResponse = root.lookupType('prometheus.ChunkedReadResponse');

export function encodeReadRequest(obj: Record<string, unknown>): Uint8Array {
  const err = ReadRequest.verify(obj);
  if (err) throw new Error(err);
  return ReadRequest.encode(ReadRequest.fromObject(obj)).finish();
}

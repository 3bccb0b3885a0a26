/** Decodes generated bodies with protobufjs and the upstream Prometheus schemas (an independent decoder). */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { snappyUncompress } from '../../bench/gen/index.js';

const PROTOS = '/work/shared/protos';

/** The .proto text without gogoproto options/imports, which protobufjs does not need. */
function stripGogo(text: string): string {
  return text
    .replace(/^import\s+"gogoproto\/gogo\.proto";\s*$/gm, '')
    .replace(/^import\s+"types\.proto";\s*$/gm, '')
    .replace(/\s*\[\(gogoproto\.[^\]]*\]/g, '');
}

let writeRequest: protobuf.Type | null = null;
function writeRequestType(): protobuf.Type {
  if (writeRequest) return writeRequest;
  const root = new protobuf.Root();
  protobuf.parse(stripGogo(readFileSync(`${PROTOS}/types.proto`, 'utf8')), root, { keepCase: true });
  protobuf.parse(stripGogo(readFileSync(`${PROTOS}/remote.proto`, 'utf8')), root, { keepCase: true });
  writeRequest = root.lookupType('prometheus.WriteRequest');
  return writeRequest;
}

export interface DecodedSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}

export function decodeBody(snappyBody: Uint8Array): DecodedSeries[] {
  const raw = snappyUncompress(snappyBody);
  const msg = writeRequestType().decode(raw);
  const obj = writeRequestType().toObject(msg, { longs: Number, defaults: true }) as { timeseries: DecodedSeries[] };
  return obj.timeseries;
}

export function decodeRaw(raw: Uint8Array): DecodedSeries[] {
  const t = writeRequestType();
  return (t.toObject(t.decode(raw), { longs: Number, defaults: true }) as { timeseries: DecodedSeries[] }).timeseries;
}

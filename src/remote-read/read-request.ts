/**
 * Decodes a remote-read `prometheus.ReadRequest` (prompb/remote.proto), snappy block compressed.
 * Hints are read past: the answer is the raw samples of the range whatever the caller will do.
 */
import { compileMatcher } from '../index/index.js';
import { IngestError, snappyUncompress } from '../ingest/index.js';
import { ProtoReader } from '../ingest/index.js';
import type { LabelMatcher, MatchType } from '../model/index.js';

export type ResponseType = 'samples' | 'streamed_xor_chunks';

export interface ReadQuery {
  readonly startMs: number;
  readonly endMs: number;
  readonly matchers: readonly LabelMatcher[];
}

export interface ReadRequest {
  readonly queries: readonly ReadQuery[];
  /** The first accepted type this server implements (SAMPLES when the request names none). */
  readonly responseType: ResponseType;
}

const MATCH_TYPES: readonly MatchType[] = ['=', '!=', '=~', '!~'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(r: ProtoReader, what: string): string {
  const end = r.lengthEnd();
  try {
    const s = utf8.decode(r.buf.subarray(r.pos, end));
    r.pos = end;
    return s;
  } catch {
    throw r.fail(`${what} is not valid UTF-8`);
  }
}

function readMatcher(r: ProtoReader, queryIndex: number): LabelMatcher {
  const end = r.limit;
  let type = 0;
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) type = r.uint32();
    else if (tag === 0x12) name = text(r, 'matcher name');
    else if (tag === 0x1a) value = text(r, 'matcher value');
    else r.skip(tag & 7);
  }
  const t = MATCH_TYPES[type];
  if (t === undefined) throw new IngestError(400, `query ${queryIndex}: unknown matcher type ${type} (0 EQ, 1 NEQ, 2 RE, 3 NRE)`);
  if (name === '') throw new IngestError(400, `query ${queryIndex}: a matcher has an empty label name`);
  const m: LabelMatcher = { name, type: t, value };
  try {
    compileMatcher(m);
  } catch (e) {
    throw new IngestError(400, `query ${queryIndex}: ${(e as Error).message}`);
  }
  return m;
}

function readQuery(r: ProtoReader, index: number): ReadQuery {
  const end = r.limit;
  let startMs = 0;
  let endMs = 0;
  const matchers: LabelMatcher[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x08) startMs = r.int64();
    else if (tag === 0x10) endMs = r.int64();
    else if (tag === 0x1a) {
      const mEnd = r.lengthEnd();
      r.limit = mEnd;
      matchers.push(readMatcher(r, index));
      r.limit = end;
    } else r.skip(tag & 7);
  }
  if (matchers.length === 0) throw new IngestError(400, `query ${index} has no matchers`);
  if (matchers.every((m) => compileMatcher(m)(''))) {
    throw new IngestError(400, `query ${index}: at least one matcher must not match the empty string (as in a PromQL selector)`);
  }
  if (endMs < startMs) throw new IngestError(400, `query ${index}: end_timestamp_ms ${endMs} is before start_timestamp_ms ${startMs}`);
  return { startMs, endMs, matchers };
}

/** Decodes an uncompressed ReadRequest; IngestError 400 naming what is wrong. */
export function decodeReadRequest(raw: Uint8Array): ReadRequest {
  const r = new ProtoReader(raw, 'remote read request');
  const queries: ReadQuery[] = [];
  const accepted: number[] = [];
  while (r.pos < raw.length) {
    const tag = r.uint32();
    if (tag === 0x0a) {
      const end = r.lengthEnd();
      r.limit = end;
      queries.push(readQuery(r, queries.length));
      r.limit = raw.length;
    } else if (tag === 0x10) accepted.push(r.uint32());
    else if (tag === 0x12) {
      // Packed repeated enum.
      const end = r.lengthEnd();
      r.limit = end;
      while (r.pos < end) accepted.push(r.uint32());
      r.limit = raw.length;
    } else r.skip(tag & 7);
  }
  if (queries.length === 0) throw new IngestError(400, 'remote read request has no queries');
  let responseType: ResponseType | null = accepted.length === 0 ? 'samples' : null;
  for (const t of accepted) {
    if (t === 0 || t === 1) {
      responseType = t === 0 ? 'samples' : 'streamed_xor_chunks';
      break;
    }
  }
  if (responseType === null)
    throw new IngestError(400, `none of the accepted response types [${accepted.join(', ')}] is supported (0 SAMPLES, 1 STREAMED_XOR_CHUNKS)`);
  return { queries, responseType };
}

/** Decompresses (snappy block format, as remote read sends it) and decodes a request body. */
export function decodeReadRequestBody(body: Uint8Array, maxDecompressedBytes: number): ReadRequest {
  return decodeReadRequest(snappyUncompress(body, maxDecompressedBytes));
}

/**
 * `Content-Encoding` of the text import bodies (JSON lines, Prometheus text, Influx): gzip and
 * deflate through zlib, zstd through fzstd (Node 20's zlib has none). Telegraf's InfluxDB v2
 * output and vmagent gzip by default. The size limit applies to the decompressed bytes, and
 * decompression stops as soon as it is passed, so a small bomb cannot fill memory.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { IngestError } from './errors.js';

export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'zstd';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** Reads the header; an encoding we cannot undo is 415, as an HTTP server should answer. */
export function parseBodyEncoding(header: string | undefined | null): BodyEncoding {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  if (v === 'zstd') return 'zstd';
  throw new IngestError(415, `unsupported Content-Encoding ${JSON.stringify(header)}: supported are gzip, deflate, zstd and identity`);
}

function tooLarge(limit: number): IngestError {
  return new IngestError(413, `decompressed request body exceeds the limit of ${limit} bytes (--maxInsertRequestSize)`);
}

/** The body as sent, decompressed per `encoding`, at most `limit` bytes of it. */
export async function decompressBody(encoding: BodyEncoding, body: Uint8Array, limit: number): Promise<Uint8Array> {
  if (encoding === 'identity') return body;
  if (encoding === 'zstd') return unzstd(body, limit);
  try {
    // Both run on libuv's pool and stop at maxOutputLength instead of growing past it.
    return await (encoding === 'gzip' ? gunzip(body, { maxOutputLength: limit }) : inflate(body, { maxOutputLength: limit }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new IngestError(400, `cannot decompress ${encoding} request body: ${(e as Error).message}`);
  }
}

/** fzstd decodes frame by frame; output is counted as it comes, so a bomb stops at the limit. */
function unzstd(body: Uint8Array, limit: number): Uint8Array {
  const out: Uint8Array[] = [];
  let size = 0;
  let over = false;
  const d = new ZstdDecompress((chunk) => {
    size += chunk.length;
    if (size > limit) over = true;
    else out.push(chunk);
  });
  // Fed in slices so an over-limit body is noticed before all of it is decoded.
  const SLICE = 64 * 1024;
  try {
    for (let off = 0; off < body.length && !over; off += SLICE) {
      const end = Math.min(body.length, off + SLICE);
      d.push(body.subarray(off, end), end === body.length);
    }
  } catch (e) {
    throw new IngestError(400, `cannot decompress zstd request body: ${(e as Error).message}`);
  }
  if (over) throw tooLarge(limit);
  return Buffer.concat(out, size);
}

/**
 * Prometheus remote read, `POST /api/v1/read`: SAMPLES (one snappy ReadResponse) or
 * STREAMED_XOR_CHUNKS (framed ChunkedReadResponses written as series are read, with the socket's
 * backpressure). Series come from storage a few at a time, so a streamed read of millions of
 * samples holds only those few series. The --search.* query limits apply; like Prometheus's
 * remote read, going past the series or sample limit is a 400 (a client error, not retried), and
 * the query duration limit a 503.
 */
import { LimitError, type Database } from '../db/index.js';
import { IngestError, snappyCompress } from '../ingest/index.js';
import type { Series } from '../model/index.js';
import { ChunkedResponseWriter, SamplesResponseWriter, decodeReadRequestBody, type ReadRequest } from '../remote-read/index.js';
import { HttpError } from './errors.js';
import type { Chunk, Request, Response } from './request.js';
import type { Router } from './router.js';

export interface RemoteReadDeps {
  readonly db: Database;
  readonly maxSeries: number;
  readonly maxSamplesPerQuery: number;
  readonly maxQueryDurationMs: number;
  /** Largest decompressed request accepted (as for remote write). */
  readonly maxDecompressedBytes: number;
}

/** Series read from storage at once: small, so memory stays flat in the number of samples. */
const SERIES_PER_READ = 64;

const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse';

function parseRequest(body: Uint8Array, encoding: string | undefined, maxBytes: number): ReadRequest {
  if (encoding !== undefined && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'snappy') {
    throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}: remote read requests are snappy-compressed`);
  }
  if (body.length === 0) throw new HttpError(400, 'empty remote read request body');
  try {
    return decodeReadRequestBody(body, maxBytes);
  } catch (e) {
    if (e instanceof IngestError) throw new HttpError(e.status, e.message);
    throw e;
  }
}

/** Every series of every query in order, with the limits checked as they are read. */
/**
 * The series of every query in turn. `storedHints`: histograms keep the reset hints they were
 * written with, for the chunk encoder, which cuts chunks from them as Prometheus's appender does;
 * otherwise they carry the hints a Prometheus TSDB's reader gives (SAMPLES answers).
 */
async function* seriesOf(deps: RemoteReadDeps, req: Request, rr: ReadRequest, storedHints: boolean): AsyncGenerator<{ series: Series; query: number }> {
  let samples = 0;
  for (let qi = 0; qi < rr.queries.length; qi++) {
    const q = rr.queries[qi]!;
    const it = deps.db.exportSeries(req.tenant, [q.matchers], q.startMs, q.endMs, 'sorted', {
      maxSeries: deps.maxSeries,
      seriesPerRead: SERIES_PER_READ,
      reuseBuffers: true,
      storedResetHints: storedHints,
    });
    try {
      for await (const s of it) {
        if (req.signal.aborted) throw new HttpError(503, `remote read did not finish within --search.maxQueryDuration=${deps.maxQueryDurationMs}ms`, 'timeout');
        samples += s.timestamps.length + (s.histograms?.timestamps.length ?? 0);
        if (samples > deps.maxSamplesPerQuery) {
          throw new HttpError(
            400,
            `exceeded sample limit (${deps.maxSamplesPerQuery}): the read would return more samples than --search.maxSamplesPerQuery allows; narrow it or raise the limit`,
          );
        }
        yield { series: s, query: qi };
      }
    } catch (e) {
      if (e instanceof LimitError) throw new HttpError(400, `query ${qi}: ${e.message}`);
      throw e;
    }
  }
}

async function* streamChunks(deps: RemoteReadDeps, req: Request, rr: ReadRequest): AsyncGenerator<Chunk> {
  const w = new ChunkedResponseWriter();
  for await (const { series, query } of seriesOf(deps, req, rr, true)) {
    w.addSeries(series, query);
    const piece = w.take();
    if (piece) yield piece;
  }
  const last = w.take(true);
  if (last) yield last;
}

async function samplesResponse(deps: RemoteReadDeps, req: Request, rr: ReadRequest): Promise<Response> {
  const w = new SamplesResponseWriter();
  let current = 0;
  for await (const { series, query } of seriesOf(deps, req, rr, false)) {
    for (; current < query; current++) w.endQuery();
    w.addSeries(series);
  }
  for (; current < rr.queries.length; current++) w.endQuery();
  return {
    status: 200,
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    body: snappyCompress(w.bytes()),
  };
}

export function registerRemoteReadRoutes(router: Router, deps: RemoteReadDeps): void {
  router.add(
    'POST',
    '/api/v1/read',
    async (req: Request): Promise<Response> => {
      const rr = parseRequest(await req.body(), req.headers.get('content-encoding'), deps.maxDecompressedBytes);
      if (rr.responseType === 'samples') return samplesResponse(deps, req, rr);
      return { status: 200, headers: { 'Content-Type': STREAMED_CONTENT_TYPE }, stream: streamChunks(deps, req, rr) };
    },
    { errorFormat: 'text', deadlineMs: deps.maxQueryDurationMs },
  );
}

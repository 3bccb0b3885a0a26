/**
 * One table from what a handler throws to the status and Prometheus error envelope the API
 * answers with (server/errors.ts classifyError), for query endpoints and for all others.
 */
import { describe, expect, it } from 'vitest';
import { LimitError } from '../../src/db/index.js';
import { IndexError } from '../../src/index/index.js';
import { IngestError } from '../../src/ingest/index.js';
import { PromQLError, parseDuration, parseExpr } from '../../src/promql/index.js';
import { errorResponse as httpErrorResponse } from '../../src/server/http-server.js';
import { HttpError } from '../../src/server/errors.js';
import { errorResponse as queryErrorResponse } from '../../src/server/query-format.js';
import { ApiParamError } from '../../src/server/query-params.js';
import { PartCorruptError, StorageError } from '../../src/storage/index.js';
import { compileRegex } from '../../src/regex/index.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

interface Row {
  readonly what: string;
  readonly error: unknown;
  /** [status, errorType] on query endpoints and on every other endpoint. */
  readonly query: readonly [number, string];
  readonly other: readonly [number, string];
}

const rows: Row[] = [
  { what: 'ParseError', error: thrown(() => parseExpr('sum(')), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'DurationError', error: thrown(() => parseDuration('5x')), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'ApiParamError', error: new ApiParamError('invalid parameter "start"'), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'PromQLError bad_data', error: new PromQLError('bad_data', 'x'), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'PromQLError execution', error: new PromQLError('execution', 'x'), query: [422, 'execution'], other: [422, 'execution'] },
  { what: 'PromQLError timeout', error: new PromQLError('timeout', 'x'), query: [503, 'timeout'], other: [503, 'timeout'] },
  { what: 'PromQLError canceled', error: new PromQLError('canceled', 'x'), query: [499, 'canceled'], other: [499, 'canceled'] },
  { what: 'LimitError', error: new LimitError('too many series'), query: [422, 'execution'], other: [422, 'execution'] },
  { what: 'StorageError', error: new StorageError('disk went away'), query: [500, 'internal'], other: [500, 'internal'] },
  { what: 'PartCorruptError', error: new PartCorruptError('/data/2026_12/x', 'bad crc'), query: [500, 'internal'], other: [500, 'internal'] },
  { what: 'IndexError', error: new IndexError('invalid label name ""'), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'RegexError', error: thrown(() => compileRegex('a(b')), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'IngestError 400', error: new IngestError(400, 'bad snappy'), query: [400, 'bad_data'], other: [400, 'bad_data'] },
  { what: 'IngestError 413', error: new IngestError(413, 'body too large'), query: [413, 'too_large'], other: [413, 'too_large'] },
  { what: 'IngestError 415', error: new IngestError(415, 'content type'), query: [415, 'unsupported_media_type'], other: [415, 'unsupported_media_type'] },
  { what: 'HttpError 401', error: new HttpError(401, 'auth'), query: [401, 'unauthorized'], other: [401, 'unauthorized'] },
  { what: 'HttpError 404', error: new HttpError(404, 'nothing'), query: [404, 'not_found'], other: [404, 'not_found'] },
  { what: 'HttpError 429', error: new HttpError(429, 'slow down'), query: [429, 'too_many_requests'], other: [429, 'too_many_requests'] },
  { what: 'HttpError 503', error: new HttpError(503, 'read-only', 'unavailable'), query: [503, 'unavailable'], other: [503, 'unavailable'] },
  { what: 'any other Error', error: new TypeError('oops'), query: [422, 'execution'], other: [500, 'internal'] },
];

describe('error taxonomy', () => {
  for (const r of rows) {
    it(`${r.what}: query endpoints answer ${r.query.join(' ')}, others ${r.other.join(' ')}`, () => {
      const message = (r.error as Error).message;
      const q = queryErrorResponse(r.error);
      expect([q.status, JSON.parse(q.body)]).toEqual([r.query[0], { status: 'error', errorType: r.query[1], error: message }]);
      const o = httpErrorResponse(r.error, 'json');
      const body = JSON.parse(o.body as string) as { status: string; errorType: string; error: string };
      expect([o.status, body.status, body.errorType]).toEqual([r.other[0], 'error', r.other[1]]);
      // Failures no class accounts for say so; the others keep their message as it is.
      expect(body.error).toBe(r.what === 'any other Error' ? `internal error: ${message}` : message);
    });
  }
});

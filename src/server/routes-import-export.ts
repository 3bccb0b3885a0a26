/**
 * VictoriaMetrics-style import/export and Prometheus federation: JSON lines in and out,
 * Prometheus text exposition in and out, and InfluxDB line protocol in.
 */
import { parseImportTimestamp, parseTime } from './query-params.js';
import {
  ExpositionWriter,
  OpenMetricsWriter,
  formatCsvRows,
  parseCsv,
  parseCsvExportFormat,
  parseCsvImportFormat,
  type CsvExportField,
  decompressBody,
  parseBodyEncoding,
  formatJsonLine,
  formatHistogramJsonLine,
  parseInfluxLines,
  parseInfluxPrecision,
  parseJsonLines,
  parsePrometheusText,
  type DecodedBatch,
} from '../ingest/index.js';
import type { Series } from '../model/index.js';
import { HttpError } from './errors.js';
import type { Chunk, Request, Response } from './request.js';
import type { Router } from './router.js';
import { asHttpError, assertWritable, storeBatch, type IngestCounters, type IngestDeps } from './routes-ingest.js';
import { parseSelection } from './routes-labels.js';

/** Lines of output gathered before a write, so streaming costs few syscalls. */
const CHUNK_BYTES = 64 * 1024;

async function* chunked(series: AsyncIterable<Series>, format: (s: Series) => string): AsyncGenerator<Chunk> {
  let buf = '';
  for await (const s of series) {
    buf += format(s);
    if (buf.length >= CHUNK_BYTES) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}

export function registerImportExportRoutes(router: Router, deps: IngestDeps, counters: IngestCounters): void {
  const importWith =
    (protocol: string, decode: (req: Request, body: Uint8Array) => DecodedBatch) =>
    async (req: Request): Promise<Response> => {
      assertWritable(deps);
      return deps.limiter.run(async () => {
        let batch: DecodedBatch;
        try {
          const encoding = parseBodyEncoding(req.headers.get('content-encoding'));
          batch = decode(req, await decompressBody(encoding, await req.body(), deps.limits.maxDecompressedBytes));
        } catch (e) {
          throw asHttpError(e);
        }
        return storeBatch(deps, counters, req, batch, protocol);
      }, req.signal);
    };

  router.add(
    'POST',
    '/api/v1/import',
    importWith('vmimport', (_req, body) => parseJsonLines(body, deps.limits)),
    { errorFormat: 'text', deadlineMs: 120_000 },
  );

  router.add(
    'POST',
    '/api/v1/import/prometheus',
    importWith('prometheus', (req, body) => {
      const ts = req.query.get('timestamp');
      let defaultTs = Date.now();
      if (ts) {
        try {
          defaultTs = parseImportTimestamp(ts);
        } catch (e) {
          throw new HttpError(400, `invalid timestamp query arg: ${(e as Error).message}`);
        }
      }
      return parsePrometheusText(body, defaultTs, deps.limits);
    }),
    { errorFormat: 'text', deadlineMs: 120_000 },
  );

  const influx = importWith('influx', (req, body) => {
    const precision = parseInfluxPrecision(req.query.get('precision'));
    return parseInfluxLines(body, precision, Date.now(), deps.limits, { db: req.query.get('db') ?? undefined });
  });
  for (const path of ['/write', '/influx/write', '/influx/api/v2/write', '/api/v2/write']) {
    router.add('POST', path, influx, { errorFormat: 'text', deadlineMs: 120_000 });
  }
  // Telegraf and InfluxDB clients probe these before writing.
  router.add(['GET', 'POST'], '/query', () => ({
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["_internal"]]}]}]}',
  }));
  router.add(['GET', 'HEAD'], '/ping', () => ({ status: 204 }));

  router.add(['GET', 'POST'], '/api/v1/export', async (req) => {
    const sel = parseSelection(await req.form(), true);
    const series = deps.db.exportSeries(req.tenant, sel.matchers, sel.minT, sel.maxT);
    return {
      status: 200,
      headers: { 'Content-Type': 'application/stream+json' },
      stream: chunked(series, (s) => {
        const floats = s.timestamps.length > 0 ? formatJsonLine(s.labels, s.timestamps, s.values) : '';
        return s.histograms ? floats + formatHistogramJsonLine(s.labels, s.histograms.timestamps, s.histograms.histograms) : floats;
      }),
    };
  });

  // OpenMetrics for `promtool tsdb create-blocks-from openmetrics`: the way out to TSDB blocks.
  router.add(['GET', 'POST'], '/api/v1/export/openmetrics', async (req) => {
    const sel = parseSelection(await req.form(), true);
    const meta = deps.db.metricMetadata(req.tenant);
    const writer = new OpenMetricsWriter((name) => meta.get(name));
    const series = deps.db.exportSeries(req.tenant, sel.matchers, sel.minT, sel.maxT, 'labels');
    async function* withEof(): AsyncGenerator<Chunk> {
      // Custom-bucket histograms go out as classic histogram families; exponential ones have no
      // OpenMetrics 1.0 text form and are left out (see the README, Native histograms).
      yield* chunked(series, (s) => {
        const floats = s.timestamps.length > 0 ? writer.series(s.labels, s.timestamps, s.values) : '';
        return s.histograms ? floats + writer.histograms(s.labels, s.histograms.timestamps, s.histograms.histograms) : floats;
      });
      yield writer.end();
    }
    return { status: 200, headers: { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' }, stream: withEof() };
  });

  router.add(['GET', 'POST'], '/api/v1/export/csv', async (req) => {
    const form = await req.form();
    let fields: CsvExportField[];
    try {
      fields = parseCsvExportFormat(form.get('format'));
    } catch (e) {
      throw asHttpError(e);
    }
    const sel = parseSelection(form, true);
    const series = deps.db.exportSeries(req.tenant, sel.matchers, sel.minT, sel.maxT);
    return {
      status: 200,
      headers: { 'Content-Type': 'text/csv; charset=utf-8' },
      stream: chunked(series, (s) => (s.timestamps.length > 0 ? formatCsvRows(s.labels, s.timestamps, s.values, fields) : '')),
    };
  });

  router.add(
    'POST',
    '/api/v1/import/csv',
    importWith('csv', (req, body) => parseCsv(body, parseCsvImportFormat(req.query.get('format')), Date.now(), deps.limits)),
    { errorFormat: 'text', deadlineMs: 120_000 },
  );

  router.add(['GET', 'POST'], '/federate', async (req) => {
    const form = await req.form();
    const sel = parseSelection(form, true);
    // As Prometheus: the latest sample of each series within the lookback window before `time`.
    const timeArg = form.get('time');
    let at = Date.now();
    if (timeArg) {
      try {
        at = parseTime(timeArg);
      } catch (e) {
        throw new HttpError(400, `invalid parameter "time": ${(e as Error).message}`);
      }
    }
    const lookback = 5 * 60_000;
    const writer = new ExpositionWriter();
    const series = deps.db.exportSeries(req.tenant, sel.matchers, at - lookback, at);
    return {
      status: 200,
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      stream: chunked(series, (s) => {
        // The latest sample, float or histogram (a series may have switched between the two).
        const i = s.timestamps.length - 1;
        const h = s.histograms;
        const j = h ? h.timestamps.length - 1 : -1;
        if (h && j >= 0 && (i < 0 || h.timestamps[j]! > s.timestamps[i]!)) return writer.writeHistogram(s.labels, h.timestamps[j]!, h.histograms[j]!);
        return i >= 0 ? writer.write(s.labels, s.timestamps[i]!, s.values[i]!) : '';
      }),
    };
  });
}

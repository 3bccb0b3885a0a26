/**
 * Ingestion routes: Prometheus remote write 1.0/2.0 (and the Mimir/Cortex `/api/v1/push` alias).
 * Decoding lives in ingest/, storing in db/; this file maps them onto HTTP status codes.
 */
import type { Database } from '../db/index.js';
import type { ExemplarStore } from '../exemplars/index.js';
import { log } from '../logger.js';
import {
  IngestError,
  KeyNotKeptError,
  checkContentEncoding,
  parseContentType,
  type DecodePool,
  remoteWriteV2ResponseHeaders,
  type DecodedBatch,
  type IngestLimits,
  Relabeler,
  RelabelConfigError,
  extraLabelConfigs,
} from '../ingest/index.js';
import type { Counter, MetricsRegistry } from '../metrics.js';
import { HttpError } from './errors.js';
import type { InsertLimiter } from './insert-limiter.js';
import type { Request, Response } from './request.js';
import type { Router } from './router.js';

export interface IngestDeps {
  readonly db: Database;
  readonly limits: IngestLimits;
  readonly limiter: InsertLimiter;
  readonly metrics: MetricsRegistry;
  /** Decodes remote-write bodies on worker threads. */
  readonly decodePool: DecodePool;
  /** --relabelConfig; a no-op when none is set. */
  readonly relabeler: Relabeler;
  /** Why writes are refused right now (`read-only: …`), or null (app/write-health.ts). */
  readonly readOnlyReason?: () => string | null;
  /** Where remote-write exemplars go; without it they are counted as not stored. */
  readonly exemplars?: ExemplarStore;
}

/** Refuses a write while the server cannot keep it: 503, so Prometheus keeps the samples and retries. */
export function assertWritable(deps: IngestDeps): void {
  const why = deps.readOnlyReason?.() ?? null;
  if (why !== null) throw new HttpError(503, why, 'unavailable', { 'Retry-After': '10' });
}

/** File-system failures while storing are the server's state, not a bug: 503 naming them. */
const STORAGE_UNAVAILABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO']);

function storageUnavailable(e: unknown): unknown {
  if (e instanceof KeyNotKeptError) return new HttpError(503, `request not stored, send it again: ${e.message}`, 'unavailable', { 'Retry-After': '1' });
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  // The storage engine wraps system errors in its own, keeping their text (`WAL write failed: ENOSPC: …`).
  const named = e instanceof Error && /\b(ENOSPC|EDQUOT|EROFS|EIO)\b|No space left on device|Read-only file system|Input\/output error/.test(e.message);
  if ((typeof code === 'string' && STORAGE_UNAVAILABLE.has(code)) || named) {
    return new HttpError(503, `cannot store the samples now: ${(e as Error).message}`, 'unavailable', { 'Retry-After': '10' });
  }
  return e;
}

export interface IngestCounters {
  readonly rows: Counter;
  readonly dropped: Counter;
  readonly notStored: Counter;
  readonly exemplars: Counter;
}

export function ingestCounters(metrics: MetricsRegistry): IngestCounters {
  return {
    rows: metrics.counter('strata_rows_inserted_total', 'Samples stored, by ingestion protocol.'),
    dropped: metrics.counter('strata_rows_dropped_total', 'Samples not stored, by reason (invalid series, out of retention, out of bounds).'),
    notStored: metrics.counter('strata_received_not_stored_total', 'Exemplars received and counted but not stored.'),
    exemplars: metrics.counter('strata_exemplars_total', 'Remote-write exemplars by what became of them (stored, duplicate, out_of_order).'),
  };
}

/** Maps decoder errors to HTTP errors; anything else propagates (a 500 is a bug, not bad input). */
export function asHttpError(e: unknown): unknown {
  return e instanceof IngestError ? new HttpError(e.status, e.message) : e;
}

const NO_EXTRA_LABELS = new Relabeler([]);

/** `extra_label=name=value` args (VictoriaMetrics): labels set on every series of the request. */
function extraLabels(req: Request, limits: IngestLimits): Relabeler {
  const args = req.query.getAll('extra_label');
  if (args.length === 0) return NO_EXTRA_LABELS;
  try {
    return new Relabeler(extraLabelConfigs(args), limits);
  } catch (e) {
    if (e instanceof RelabelConfigError) throw new HttpError(400, e.message);
    throw e;
  }
}

/** Keeps a batch's exemplars (after its samples are stored); returns how many were kept. */
function storeExemplars(deps: IngestDeps, counters: IngestCounters, req: Request, batch: DecodedBatch): number {
  const rows = batch.exemplarRows;
  if (!rows || rows.length === 0 || !deps.exemplars) return 0;
  let r;
  try {
    r = deps.exemplars.add(req.tenant, rows);
  } catch (e) {
    // Exemplars annotate samples already stored: failing to log them (a full disk) must not fail the write.
    log.warn('exemplars not stored', { error: (e as Error).message });
    return 0;
  }
  if (r.stored > 0) counters.exemplars.inc({ result: 'stored' }, r.stored);
  if (r.duplicate > 0) counters.exemplars.inc({ result: 'duplicate' }, r.duplicate);
  if (r.outOfOrder > 0) counters.exemplars.inc({ result: 'out_of_order' }, r.outOfOrder);
  return r.stored;
}

/** What storing a batch did: samples written, and what was dropped and why (none when all were kept). */
export interface StoreOutcome {
  readonly written: number;
  readonly exemplarsWritten: number;
  /** Native histogram samples stored (not in `written`). */
  readonly histogramsWritten: number;
  readonly droppedSamples: number;
  readonly problems: readonly string[];
}

/** Relabels and stores a batch, counting what was stored and dropped. */
export async function writeBatch(deps: IngestDeps, counters: IngestCounters, req: Request, decoded: DecodedBatch, protocol: string): Promise<StoreOutcome> {
  const relabel = extraLabels(req, deps.limits);
  let batch;
  let res;
  try {
    // Inside: a relabel config loaded since the body was decoded may ask for keys not kept.
    batch = relabel.relabelBatch(deps.relabeler.relabelBatch(decoded));
    res = await deps.db.write(req.tenant, batch);
  } catch (e) {
    throw storageUnavailable(e);
  }
  counters.rows.inc({ type: protocol }, res.samplesWritten);
  const exemplarsWritten = storeExemplars(deps, counters, req, batch);
  if (res.samplesDroppedOutOfRetention > 0) counters.dropped.inc({ reason: 'out_of_retention' }, res.samplesDroppedOutOfRetention);
  if (batch.dropped.samples > 0 || batch.dropped.series > 0) counters.dropped.inc({ reason: 'invalid_series' }, batch.dropped.samples);
  if (batch.exemplars > exemplarsWritten) counters.notStored.inc({ kind: 'exemplar' }, batch.exemplars - exemplarsWritten);
  if (res.histogramsWritten > 0) counters.rows.inc({ type: `${protocol}_histogram` }, res.histogramsWritten);
  if (res.samplesDroppedOutOfBounds > 0) counters.dropped.inc({ reason: 'out_of_bounds' }, res.samplesDroppedOutOfBounds);
  const problems: string[] = [];
  if (batch.dropped.series > 0)
    problems.push(`dropped ${batch.dropped.series} invalid series (${batch.dropped.samples} samples): ${batch.dropped.reasons.join('; ')}`);
  const oob = res.firstOutOfBounds;
  if (oob) {
    // Prometheus answers out-of-bounds samples with 400 so that the sender drops them instead of retrying.
    problems.push(
      `dropped ${res.samplesDroppedOutOfBounds} samples out of bounds: timestamps must lie between 1970-01-01 and ${new Date(oob.limit).toISOString()} (now + --futureTimestampLimit); first: ${oob.labels} at ${oob.timestamp} ms`,
    );
  }
  if (res.limit) {
    counters.dropped.inc({ reason: `${res.limit.name}_series_limit` }, res.samplesDroppedByLimit);
    // A 4xx other than 429: Prometheus drops the samples instead of retrying them forever.
    const flag = res.limit.name === 'hourly' ? 'storage.maxHourlySeries' : 'storage.maxDailySeries';
    problems.push(`dropped ${res.samplesDroppedByLimit} samples of new series over the ${res.limit.name} series limit (--${flag}=${res.limit.max})`);
  }
  const droppedSamples = batch.dropped.samples + res.samplesDroppedOutOfBounds + (res.limit ? res.samplesDroppedByLimit : 0);
  return { written: res.samplesWritten, exemplarsWritten, histogramsWritten: res.histogramsWritten, droppedSamples, problems };
}

/** Stores a batch and answers as Prometheus's receiver does: 204, or 400 naming what was dropped. */
export async function storeBatch(
  deps: IngestDeps,
  counters: IngestCounters,
  req: Request,
  decoded: DecodedBatch,
  protocol: string,
  extraHeaders: (written: number, exemplarsWritten: number, histogramsWritten: number) => Record<string, string> = () => ({}),
): Promise<Response> {
  const { written, exemplarsWritten, histogramsWritten, problems } = await writeBatch(deps, counters, req, decoded, protocol);
  const headers = extraHeaders(written, exemplarsWritten, histogramsWritten);
  if (problems.length > 0) {
    const msg = `stored ${written} samples; ${problems.join('; ')}`;
    return { status: 400, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: msg + '\n' };
  }
  return { status: 204, headers };
}

export function registerIngestRoutes(router: Router, deps: IngestDeps, counters: IngestCounters): void {
  const remoteWrite = (req: Request): Promise<Response> => {
    assertWritable(deps);
    return deps.limiter.run(async () => {
      let version;
      let batch: DecodedBatch;
      try {
        version = parseContentType(req.headers.get('content-type'));
        checkContentEncoding(req.headers.get('content-encoding'));
        const body = await req.body();
        // Without relabeling only the keys of series new to the cache are needed on this thread.
        const plain = !deps.relabeler.active && !req.query.has('extra_label');
        batch = await deps.decodePool.decode(version, body, deps.db.idTableFor(req.tenant), plain);
      } catch (e) {
        throw asHttpError(e);
      }
      const v2 = version === 'v2';
      return storeBatch(deps, counters, req, batch, v2 ? 'promremotewrite2' : 'promremotewrite', (written, exemplars, histograms) =>
        v2 ? remoteWriteV2ResponseHeaders({ samples: written, histograms, exemplars }) : {},
      );
    }, req.signal);
  };

  for (const path of ['/api/v1/write', '/api/v1/push']) {
    router.add('POST', path, remoteWrite, { errorFormat: 'text', deadlineMs: 60_000 });
  }
}

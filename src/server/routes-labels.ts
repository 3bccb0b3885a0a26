/** Series, label names, label values and cardinality (`/api/v1/status/tsdb`): the index's API face. */
import { ApiParamError, MAX_TIME_MS, MIN_TIME_MS, parseLimit, parseMatchParams, parseTime } from './query-params.js';
import type { Database } from '../db/index.js';
import { formatDuration } from '../promql/index.js';
import { MAX_LABEL_BYTES, dayOf } from '../index/index.js';
import type { LabelMatcher, Labels } from '../model/index.js';
import { HttpError } from './errors.js';
import { apiSuccess } from './request.js';
import type { Router } from './router.js';

export interface LabelsDeps {
  readonly db: Database;
  /** Most series /api/v1/series returns without an explicit limit (--search.maxSeries). */
  readonly maxSeries: number;
}

/** `match[]`, `start`, `end`, `limit` as Prometheus reads them; errors become 400 bad_data. */
export function parseSelection(form: URLSearchParams, requireMatch: boolean): { matchers: LabelMatcher[][]; minT: number; maxT: number; limit: number } {
  const selectors = form.getAll('match[]');
  if (requireMatch && selectors.length === 0) throw new HttpError(400, 'no match[] parameter provided');
  let matchers: LabelMatcher[][];
  try {
    matchers = parseMatchParams(selectors);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
  const time = (name: string, dflt: number) => {
    const v = form.get(name);
    if (v === null || v === '') return dflt;
    try {
      return parseTime(v);
    } catch (e) {
      throw new HttpError(400, `invalid parameter "${name}": ${(e as Error).message}`);
    }
  };
  let limit: number;
  try {
    limit = parseLimit(form);
  } catch (e) {
    throw new HttpError(400, (e as ApiParamError).message);
  }
  const minT = time('start', MIN_TIME_MS);
  const maxT = time('end', MAX_TIME_MS);
  if (maxT < minT) throw new HttpError(400, 'invalid parameter "end": end timestamp must not be before start time');
  return { matchers, minT, maxT, limit };
}

/** A label name the index cannot hold (NUL, or over its key limit) is a 400, not a failed lookup. */
function checkLabelName(name: string, what: string): void {
  if (name.includes('\u0000')) throw new HttpError(400, `invalid ${what}: label names cannot contain NUL`);
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_LABEL_BYTES) throw new HttpError(400, `invalid ${what}: ${bytes} bytes, longer than the index's limit of ${MAX_LABEL_BYTES} bytes`);
}

function labelsObject(labels: Labels): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of labels) o[l.name] = l.value;
  return o;
}

/** Answers read from a damaged label index say so (see src/index/index-damage.ts). */
function withIndexWarning(deps: LabelsDeps, warnings: string[]): string[] {
  const w = deps.db.index.damage.warning();
  return w === null ? warnings : [w, ...warnings];
}

export function registerLabelRoutes(router: Router, deps: LabelsDeps): void {
  router.add(['GET', 'POST'], '/api/v1/series', async (req) => {
    const sel = parseSelection(await req.form(), true);
    const limit = sel.limit > 0 ? sel.limit : deps.maxSeries;
    const series = await deps.db.series(req.tenant, sel.matchers, sel.minT, sel.maxT, limit + 1);
    const warnings = series.length > limit ? ['results truncated due to limit'] : [];
    return apiSuccess(series.slice(0, limit).map(labelsObject), { warnings: withIndexWarning(deps, warnings) });
  });

  router.add(['GET', 'POST'], '/api/v1/labels', async (req) => {
    const sel = parseSelection(await req.form(), false);
    const names = deps.db.labelNames(req.tenant, sel.matchers, sel.minT, sel.maxT, sel.limit > 0 ? sel.limit + 1 : undefined);
    const cut = sel.limit > 0 && names.length > sel.limit;
    return apiSuccess(cut ? names.slice(0, sel.limit) : names, { warnings: withIndexWarning(deps, cut ? ['results truncated due to limit'] : []) });
  });

  router.add(['GET'], '/api/v1/label/:name/values', async (req) => {
    const sel = parseSelection(await req.form(), false);
    let name = req.params['name']!;
    // Prometheus 3 escapes UTF-8 label names in this path as U__<hex-escaped>.
    if (name.startsWith('U__'))
      name = name
        .slice(3)
        .replace(/_([0-9a-fA-F]+)_/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
        .replace(/__/g, '_');
    checkLabelName(name, 'label name in the path');
    const values = deps.db.labelValues(req.tenant, name, sel.matchers, sel.minT, sel.maxT, sel.limit > 0 ? sel.limit + 1 : undefined);
    const cut = sel.limit > 0 && values.length > sel.limit;
    return apiSuccess(cut ? values.slice(0, sel.limit) : values, { warnings: withIndexWarning(deps, cut ? ['results truncated due to limit'] : []) });
  });

  router.add(['GET', 'POST'], '/api/v1/status/tsdb', async (req) => {
    const form = await req.form();
    const sel = parseSelection(form, false);
    const topN = Number(form.get('topN') ?? form.get('limit') ?? '10');
    if (!Number.isInteger(topN) || topN <= 0)
      throw new HttpError(400, `invalid parameter "topN": want a positive integer, got ${JSON.stringify(form.get('topN'))}`);
    const dateArg = form.get('date');
    // As VictoriaMetrics: today's series unless a date is given.
    let date: number | undefined = dayOf(Date.now());
    if (dateArg) {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateArg);
      if (!m) throw new HttpError(400, `invalid parameter "date": want YYYY-MM-DD, got ${JSON.stringify(dateArg)}`);
      date = dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    }
    const focusLabel = form.get('focusLabel') ?? undefined;
    if (focusLabel !== undefined) checkLabelName(focusLabel, 'parameter "focusLabel"');
    // Beyond both anchors' shapes: what storage cannot serve (damaged blocks, quarantined parts).
    return apiSuccess({ ...deps.db.tsdbStatus(req.tenant, { topN, date, focusLabel, matchers: sel.matchers }), quarantined: deps.db.damaged() });
  });

  // Which --retentionFilter and --downsampling.period rule each selected series follows.
  router.add(['GET', 'POST'], '/api/v1/status/retention', async (req) => {
    const sel = parseSelection(await req.form(), true);
    return apiSuccess(
      deps.db.lifecycleStatus(req.tenant, sel.matchers).map((g) => ({
        retentionFilter: g.retentionFilter,
        retention: Number.isFinite(g.retentionMs) ? formatDuration(g.retentionMs) : 'forever',
        downsampling: g.downsampling,
        levels: g.levels.map((l) => `${formatDuration(l.afterMs)}:${l.intervalMs === 0 ? '0s' : formatDuration(l.intervalMs)}`),
        series: g.series,
        example: g.example,
      })),
    );
  });
}

/**
 * `GET|POST /api/v1/query_exemplars?query=&start=&end=`: the exemplars of the series the query's
 * vector selectors match, in Prometheus's shape (`seriesLabels`, then `labels`, `value` as a
 * string and `timestamp` as float seconds per exemplar).
 */
import { ApiParamError, MAX_TIME_MS, MIN_TIME_MS, parseFormatQueryParams, parseTime } from './query-params.js';
import { errorResponse, formatSampleValue } from './query-format.js';
import type { ExemplarStore } from '../exemplars/index.js';
import type { Labels } from '../model/index.js';
import { extractSelectors } from '../promql/index.js';
import { apiSuccess, type Request, type Response } from './request.js';
import type { Router } from './router.js';

function labelsObject(labels: Labels): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of labels) o[l.name] = l.value;
  return o;
}

function timeParam(form: URLSearchParams, name: string, dflt: number): number {
  const v = form.get(name);
  if (v === null || v === '') return dflt;
  try {
    return parseTime(v);
  } catch (e) {
    throw new ApiParamError(`invalid parameter ${JSON.stringify(name)}: ${(e as Error).message}`);
  }
}

export function registerExemplarRoutes(router: Router, deps: { readonly exemplars: ExemplarStore }): void {
  router.add(['GET', 'POST'], '/api/v1/query_exemplars', async (req: Request): Promise<Response> => {
    try {
      const form = await req.form();
      const start = timeParam(form, 'start', MIN_TIME_MS);
      const end = timeParam(form, 'end', MAX_TIME_MS);
      if (end < start) throw new ApiParamError('invalid parameter "end": end timestamp must not be before start timestamp');
      const { expr } = parseFormatQueryParams(form);
      const selectors = extractSelectors(expr);
      // As Prometheus: a query without selectors answers success with null data.
      if (selectors.length === 0) return apiSuccess(null);
      const found = deps.exemplars.select(req.tenant, selectors, start, end);
      return apiSuccess(
        found.map((s) => ({
          seriesLabels: labelsObject(s.seriesLabels),
          exemplars: s.exemplars.map((e) => ({ labels: labelsObject(e.labels), value: formatSampleValue(e.value), timestamp: e.timestamp / 1000 })),
        })),
      );
    } catch (e) {
      const r = errorResponse(e);
      return { status: r.status, headers: { 'Content-Type': 'application/json' }, body: r.body };
    }
  });
}

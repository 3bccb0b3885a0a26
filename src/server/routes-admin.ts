/** Admin routes guarded by --adminAuthKey: flush, merge, delete series. */
import { MAX_TIME_MS, MIN_TIME_MS, parseTime } from './query-params.js';
import type { Database } from '../db/index.js';
import type { LabelMatcher } from '../model/index.js';
import { HttpError } from './errors.js';
import { text } from './request.js';
import type { Router } from './router.js';

export interface AdminDeps {
  readonly db: Database;
  /** Parses one `match[]` series selector (PromQL syntax). */
  readonly parseSelector: (s: string) => LabelMatcher[];
}

export function registerAdminRoutes(router: Router, deps: AdminDeps): void {
  router.add(
    ['GET', 'POST'],
    '/internal/force_flush',
    async () => {
      await deps.db.forceFlush();
      return text('');
    },
    { auth: 'admin' },
  );

  router.add(
    ['GET', 'POST'],
    '/internal/force_merge',
    async () => {
      await deps.db.forceMerge();
      return text('');
    },
    { auth: 'admin' },
  );

  router.add(
    ['POST', 'PUT'],
    '/api/v1/admin/tsdb/delete_series',
    async (req) => {
      const form = await req.form();
      const selectors = form.getAll('match[]');
      if (selectors.length === 0) throw new HttpError(400, 'no match[] parameter given: say which series to delete');
      const minT = timeArg(form, 'start', MIN_TIME_MS);
      const maxT = timeArg(form, 'end', MAX_TIME_MS);
      if (minT > maxT) throw new HttpError(400, 'invalid parameters: end timestamp must not be before start time');
      // As Prometheus: without start and end, whole series go; otherwise only the samples in range.
      const whole = minT <= MIN_TIME_MS && maxT >= MAX_TIME_MS;
      let deleted = 0;
      for (const s of selectors) {
        let matchers: LabelMatcher[];
        try {
          matchers = deps.parseSelector(s);
        } catch (e) {
          throw new HttpError(400, `invalid match[] ${JSON.stringify(s)}: ${(e as Error).message}`);
        }
        deleted += whole ? deps.db.deleteSeries(req.tenant, matchers) : await deps.db.deleteSamples(req.tenant, matchers, minT, maxT);
      }
      return { status: 204, headers: { 'X-Strata-Deleted-Series': String(deleted) } };
    },
    { auth: 'admin' },
  );
}

function timeArg(form: URLSearchParams, name: string, dflt: number): number {
  const raw = form.get(name);
  if (raw === null || raw === '') return dflt;
  try {
    return parseTime(raw);
  } catch (e) {
    throw new HttpError(400, `invalid parameter ${JSON.stringify(name)}: ${(e as Error).message}`);
  }
}

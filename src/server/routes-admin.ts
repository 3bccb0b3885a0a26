/** Admin routes guarded by --adminAuthKey: flush, merge, delete series. */
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
  router.add(['GET', 'POST'], '/internal/force_flush', async () => {
    await deps.db.forceFlush();
    return text('');
  }, { auth: 'admin' });

  router.add(['GET', 'POST'], '/internal/force_merge', async () => {
    await deps.db.forceMerge();
    return text('');
  }, { auth: 'admin' });

  router.add(['POST', 'PUT'], '/api/v1/admin/tsdb/delete_series', async (req) => {
    const form = await req.form();
    const selectors = form.getAll('match[]');
    if (selectors.length === 0) throw new HttpError(400, 'no match[] parameter given: say which series to delete');
    let deleted = 0;
    for (const s of selectors) {
      let matchers: LabelMatcher[];
      try {
        matchers = deps.parseSelector(s);
      } catch (e) {
        throw new HttpError(400, `invalid match[] ${JSON.stringify(s)}: ${(e as Error).message}`);
      }
      deleted += deps.db.deleteSeries(req.tenant, matchers);
    }
    return { status: 204, headers: { 'X-Strata-Deleted-Series': String(deleted) } };
  }, { auth: 'admin' });
}

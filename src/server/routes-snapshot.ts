/**
 * Snapshot endpoints in both reference shapes, guarded by --adminAuthKey (alias -snapshotAuthKey):
 * VictoriaMetrics's `/snapshot/*` (`{"status":"ok",...}`, errors `{"status":"error","msg":...}`)
 * and Prometheus's `/api/v1/admin/tsdb/snapshot` (`{"status":"success","data":{"name":...}}`).
 */
import { SnapshotNotFoundError, type Snapshots } from '../db/index.js';
import { HttpError } from './errors.js';
import { apiSuccess, json, type Response } from './request.js';
import type { Router } from './router.js';

export interface SnapshotDeps {
  readonly snapshots: Snapshots;
}

function vmError(status: number, msg: string): Response {
  return json({ status: 'error', msg }, status);
}

export function registerSnapshotRoutes(router: Router, deps: SnapshotDeps): void {
  const s = deps.snapshots;
  const admin = { auth: 'admin' as const };

  router.add(
    ['GET', 'POST'],
    '/snapshot/create',
    async () => {
      try {
        return json({ status: 'ok', snapshot: await s.create() });
      } catch (e) {
        return vmError(500, `cannot create snapshot: ${(e as Error).message}`);
      }
    },
    admin,
  );

  router.add(['GET', 'POST'], '/snapshot/list', () => json({ status: 'ok', snapshots: s.list() }), admin);

  router.add(
    ['GET', 'POST'],
    '/snapshot/delete',
    async (req) => {
      const name = (await req.form()).get('snapshot') ?? '';
      if (name === '') return vmError(400, 'missing snapshot query arg: say which snapshot to delete');
      try {
        s.delete(name);
      } catch (e) {
        if (e instanceof SnapshotNotFoundError) return vmError(404, `cannot find snapshot ${JSON.stringify(name)}`);
        throw e;
      }
      return json({ status: 'ok' });
    },
    admin,
  );

  router.add(
    ['GET', 'POST'],
    '/snapshot/delete_all',
    () => {
      s.deleteAll();
      return json({ status: 'ok' });
    },
    admin,
  );

  router.add(
    ['POST', 'PUT'],
    '/api/v1/admin/tsdb/snapshot',
    async (req) => {
      const raw = (await req.form()).get('skip_head') ?? 'false';
      if (!/^(true|false|1|0|)$/i.test(raw)) throw new HttpError(400, `invalid skip_head ${JSON.stringify(raw)}: want true or false`);
      const skipHead = /^(true|1)$/i.test(raw);
      return apiSuccess({ name: await s.create(skipHead) });
    },
    admin,
  );
}

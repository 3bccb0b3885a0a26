/**
 * The snapshot endpoints over real HTTP: VictoriaMetrics's and Prometheus's response shapes, the
 * admin key, hard-linked parts with a hashed file list, a snapshot taken while a merge replaces
 * the parts it links, and --snapshotsMaxAge.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStrata, type StrataProcess } from '../helpers/strata-process.js';
import { HOUR, ingest, sha256Of, snapshotJson } from './helpers.js';

const start = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
let servers: StrataProcess[] = [];

afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

async function server(args: string[] = []): Promise<StrataProcess> {
  const s = await startStrata({ args });
  servers.push(s);
  return s;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, init);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('snapshot API', () => {
  it('/snapshot/create answers {"status":"ok","snapshot":name} and lists it', async () => {
    const s = await server();
    await ingest(s.url, { batches: 2, seriesCount: 5, points: 10, start });
    const c = await getJson(`${s.url}/snapshot/create`);
    expect(c.status).toBe(200);
    expect(Object.keys(c.body).sort()).toEqual(['snapshot', 'status']);
    expect(c.body.status).toBe('ok');
    expect(c.body.snapshot).toMatch(/^\d{14}-[0-9A-F]{16}$/);
    const l = await getJson(`${s.url}/snapshot/list`);
    expect(l.body).toEqual({ status: 'ok', snapshots: [c.body.snapshot] });
  });

  it('links part files, copies the index and hashes every file in snapshot.json', async () => {
    const s = await server();
    await ingest(s.url, { batches: 2, seriesCount: 5, points: 10, start });
    const name = (await getJson(`${s.url}/snapshot/create`)).body.snapshot as string;
    const info = snapshotJson(s.dataDir, name);
    const paths = info.files.map((f) => f.path);
    expect(paths).toContain('index/data.mdb');
    const partFiles = paths.filter((p) => /^data\/\d{4}_\d{2}\/[0-9a-f]{16}\/values\.bin$/.test(p));
    expect(partFiles.length).toBeGreaterThanOrEqual(1);
    for (const f of info.files) {
      const abs = join(s.dataDir, 'snapshots', name, f.path);
      expect(statSync(abs).size).toBe(f.size);
      expect(sha256Of(abs)).toBe(f.sha256);
    }
    // A hard link, not a copy: the live part file is the same inode.
    const live = join(s.dataDir, partFiles[0]!);
    expect(statSync(join(s.dataDir, 'snapshots', name, partFiles[0]!)).ino).toBe(statSync(live).ino);
  });

  it('Prometheus POST /api/v1/admin/tsdb/snapshot answers {"status":"success","data":{"name":...}}', async () => {
    const s = await server();
    await ingest(s.url, { batches: 1, seriesCount: 3, points: 5, start, flushEach: false });
    const r = await getJson(`${s.url}/api/v1/admin/tsdb/snapshot?skip_head=true`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('success');
    const name = (r.body.data as { name: string }).name;
    expect(Object.keys(r.body.data as object)).toEqual(['name']);
    // skip_head: the unflushed rows are not in it, so no part at all.
    const info = snapshotJson(s.dataDir, name);
    expect(info.skipHead).toBe(true);
    expect(info.files.some((f) => f.path.startsWith('data/'))).toBe(false);
    const withHead = await getJson(`${s.url}/api/v1/admin/tsdb/snapshot`, { method: 'PUT' });
    expect(snapshotJson(s.dataDir, (withHead.body.data as { name: string }).name).files.some((f) => f.path.endsWith('values.bin'))).toBe(true);
  });

  it('rejects a bad skip_head with 400 naming it', async () => {
    const s = await server();
    const r = await getJson(`${s.url}/api/v1/admin/tsdb/snapshot?skip_head=maybe`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toContain('skip_head');
  });

  it('/snapshot/delete removes one, answers 404 for an unknown one, /snapshot/delete_all removes the rest', async () => {
    const s = await server();
    const a = (await getJson(`${s.url}/snapshot/create`)).body.snapshot as string;
    const b = (await getJson(`${s.url}/snapshot/create`)).body.snapshot as string;
    expect(await getJson(`${s.url}/snapshot/delete?snapshot=${a}`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(existsSync(join(s.dataDir, 'snapshots', a))).toBe(false);
    const missing = await getJson(`${s.url}/snapshot/delete?snapshot=${a}`);
    expect(missing.status).toBe(404);
    expect(missing.body.status).toBe('error');
    expect(String(missing.body.msg)).toContain(a);
    expect((await getJson(`${s.url}/snapshot/delete_all`)).body).toEqual({ status: 'ok' });
    expect(existsSync(join(s.dataDir, 'snapshots', b))).toBe(false);
    expect((await getJson(`${s.url}/snapshot/list`)).body).toEqual({ status: 'ok', snapshots: [] });
  });

  it('requires the admin key, which -snapshotAuthKey also sets', async () => {
    const s = await server(['-snapshotAuthKey=sesame']);
    expect((await fetch(`${s.url}/snapshot/create`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${s.url}/snapshot/list?authKey=sesame`)).status).toBe(200);
    expect((await fetch(`${s.url}/internal/force_flush`)).status).toBe(401);
  });

  it('survives a merge replacing the parts it links: every listed file still hashes right afterwards', async () => {
    const s = await server();
    await ingest(s.url, { batches: 6, seriesCount: 20, points: 30, start });
    const merge = fetch(`${s.url}/internal/force_merge`);
    const snaps = await Promise.all([getJson(`${s.url}/snapshot/create`), getJson(`${s.url}/snapshot/create`)]);
    expect((await merge).status).toBe(200);
    for (const snap of snaps) {
      const name = snap.body.snapshot as string;
      const info = snapshotJson(s.dataDir, name);
      expect(info.files.filter((f) => f.path.endsWith('values.bin')).length).toBeGreaterThanOrEqual(1);
      for (const f of info.files) expect(sha256Of(join(s.dataDir, 'snapshots', name, f.path))).toBe(f.sha256);
    }
  });

  it('--snapshotsMaxAge deletes snapshots older than it', async () => {
    const s = await server(['--snapshotsMaxAge=2s']);
    const name = (await getJson(`${s.url}/snapshot/create`)).body.snapshot as string;
    expect(existsSync(join(s.dataDir, 'snapshots', name))).toBe(true);
    const deadline = Date.now() + 10_000;
    while (existsSync(join(s.dataDir, 'snapshots', name)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(existsSync(join(s.dataDir, 'snapshots', name))).toBe(false);
  });
});

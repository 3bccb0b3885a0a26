/** Acknowledged writes survive a SIGKILL and a restart, and a clean restart keeps everything. */
import { describe, expect, it } from 'vitest';
import { startStrata, tempDir } from '../helpers/strata-process.js';
import { api, instant, series, writeV1, writeV2 } from './client.js';

const now = Math.floor(Date.now() / 1000) * 1000;

describe('durability across restarts', () => {
  it('returns every acknowledged sample after SIGKILL with --wal.fsync=always', async () => {
    const dataDir = tempDir();
    const a = await startStrata({ dataDir, args: ['--wal.fsync=always'] });
    for (let i = 0; i < 20; i++) {
      const r = await writeV1(a.url, [series('durable', { i: String(i) }, [now - 1000, now], [i, i + 0.5])]);
      expect(r.status).toBe(204);
    }
    await a.stop('SIGKILL');
    const b = await startStrata({ dataDir });
    try {
      const res = await instant(b.url, 'durable', now / 1000);
      expect(res).toHaveLength(20);
      expect(res.map((x) => Number(x.value[1])).sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i + 0.5));
    } finally {
      await b.stop();
    }
  });

  it('keeps data across a graceful restart (flushed to parts on shutdown)', async () => {
    const dataDir = tempDir();
    const a = await startStrata({ dataDir });
    expect((await writeV1(a.url, [series('graceful', {}, [now], [7])])).status).toBe(204);
    expect(await a.stop()).toBe(0);
    const b = await startStrata({ dataDir });
    try {
      expect((await instant(b.url, 'graceful', now / 1000))[0]!.value[1]).toBe('7');
    } finally {
      await b.stop();
    }
  });

  it('keeps remote-write 2.0 metric metadata across a restart', async () => {
    const dataDir = tempDir();
    const a = await startStrata({ dataDir });
    const withMeta = { ...series('kept_total', {}, [now], [1]), metadata: { type: 'counter' as const, help: 'Things kept.', unit: 'things' } };
    expect((await writeV2(a.url, [withMeta])).status).toBe(204);
    expect(await a.stop()).toBe(0);
    const b = await startStrata({ dataDir });
    try {
      const res = await api<Record<string, { type: string; help: string; unit: string }[]>>(b.url, '/api/v1/metadata');
      expect(res.body.data!['kept_total']).toEqual([{ type: 'counter', help: 'Things kept.', unit: 'things' }]);
    } finally {
      await b.stop();
    }
  });

  it('serves data after force_flush and force_merge', async () => {
    const a = await startStrata();
    try {
      await writeV1(a.url, [series('merged', { k: 'v' }, [now - 2000, now - 1000, now], [1, 2, 3])]);
      expect((await fetch(`${a.url}/internal/force_flush`)).status).toBe(200);
      await writeV1(a.url, [series('merged', { k: 'v' }, [now + 1000], [4])]);
      expect((await fetch(`${a.url}/internal/force_flush`)).status).toBe(200);
      expect((await fetch(`${a.url}/internal/force_merge`)).status).toBe(200);
      expect((await instant(a.url, 'merged', (now + 1000) / 1000))[0]!.value[1]).toBe('4');
    } finally {
      await a.stop();
    }
  });

  it('guards /internal/* with --adminAuthKey', async () => {
    const a = await startStrata({ args: ['--adminAuthKey=sesame'] });
    try {
      expect((await fetch(`${a.url}/internal/force_flush`)).status).toBe(401);
      expect((await fetch(`${a.url}/internal/force_flush?authKey=wrong`)).status).toBe(401);
      expect((await fetch(`${a.url}/internal/force_flush?authKey=sesame`)).status).toBe(200);
    } finally {
      await a.stop();
    }
  });
});

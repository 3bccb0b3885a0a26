/**
 * Kill -9 loops against the real server with default settings (--wal.fsync=interval): writers
 * record every remote-write request that was acknowledged with 204; the server is killed with
 * SIGKILL at random moments during heavy ingestion and restarted; at the end every acknowledged
 * sample must come back from /api/v1/export with its value. 20 kills with STRATA_SLOW_TESTS=1.
 */
import { describe, expect, it } from 'vitest';
import { startStrata, tempDir } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

const KILLS = process.env.STRATA_SLOW_TESTS ? 20 : 3;
const WRITERS = 4;
const SERIES_PER_REQUEST = 20;
const POINTS_PER_REQUEST = 50;
const base = Math.floor(Date.now() / 1000) * 1000 - 6 * 3_600_000;

describe('crash safety over HTTP', () => {
  it(`returns every acknowledged sample after ${KILLS} SIGKILLs during ingestion`, async () => {
    const dataDir = tempDir('strata-crash-');
    // acked[w] = request sequence numbers of writer w that were answered 204.
    const acked: number[][] = Array.from({ length: WRITERS }, () => []);
    const nextSeq = new Array<number>(WRITERS).fill(0);
    let killedDuringRequests = 0;

    for (let k = 0; k < KILLS; k++) {
      const s = await startStrata({ dataDir });
      let alive = true;
      const writer = async (w: number) => {
        while (alive) {
          const seq = nextSeq[w]!++;
          const ts = Array.from({ length: POINTS_PER_REQUEST }, (_, i) => base + (seq * POINTS_PER_REQUEST + i) * 1000);
          const batch = Array.from({ length: SERIES_PER_REQUEST }, (_, j) =>
            series(
              'crash_test',
              { w: String(w), s: String(j) },
              ts,
              ts.map((_, i) => seq * 1000 + i),
            ),
          );
          try {
            const r = await writeV1(s.url, batch);
            if (r.status === 204) acked[w]!.push(seq);
          } catch {
            killedDuringRequests++;
            return; // connection died with the server: this request was never acknowledged
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
      await s.stop('SIGKILL');
      alive = false;
      await Promise.all(writers);
    }

    const s = await startStrata({ dataDir });
    try {
      const r = await fetch(`${s.url}/api/v1/export?match[]=crash_test&start=0`);
      const got = new Map<string, Map<number, number>>();
      for (const line of (await r.text()).trim().split('\n')) {
        if (!line) continue;
        const o = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
        const m = new Map<number, number>();
        o.timestamps.forEach((t, i) => m.set(t, o.values[i]!));
        got.set(`${o.metric.w}/${o.metric.s}`, m);
      }
      let checked = 0;
      const missing: string[] = [];
      for (let w = 0; w < WRITERS; w++) {
        for (const seq of acked[w]!) {
          for (let j = 0; j < SERIES_PER_REQUEST; j++) {
            const m = got.get(`${w}/${j}`);
            for (let i = 0; i < POINTS_PER_REQUEST; i++) {
              const t = base + (seq * POINTS_PER_REQUEST + i) * 1000;
              checked++;
              if (m?.get(t) !== seq * 1000 + i && missing.length < 5) missing.push(`w=${w} s=${j} t=${t}`);
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
      expect(missing, `acknowledged samples missing after ${KILLS} kills (${killedDuringRequests} requests cut)`).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 600_000);

  it(`keeps what downsampling must keep through ${KILLS} SIGKILLs during downsampling merges`, async () => {
    const dataDir = tempDir('strata-crash-ds-');
    const args = ['--downsampling.period=1d:1h'];
    const HOUR = 3_600_000;
    const firstHour = Math.floor((Date.now() - 3 * 86_400_000) / HOUR) * HOUR;
    const ackedHours: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const s = await startStrata({ dataDir, args });
      const hour = firstHour + k * HOUR;
      const ts = Array.from({ length: 60 }, (_, i) => hour + i * 60_000);
      const batch = Array.from({ length: 20 }, (_, j) =>
        series(
          'crash_ds',
          { s: String(j) },
          ts,
          ts.map((_, i) => k * 100 + i),
        ),
      );
      if ((await writeV1(s.url, batch)).status === 204) ackedHours.push(k);
      // A merge (which downsamples) is running when the kill comes, or has just finished.
      void fetch(`${s.url}/internal/force_merge`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
      await s.stop('SIGKILL');
    }
    const s = await startStrata({ dataDir, args });
    try {
      await fetch(`${s.url}/internal/force_merge`);
      const text = (await (await fetch(`${s.url}/api/v1/export?match[]=crash_ds&start=0`)).text()).trim();
      const lines = text.split('\n').map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
      expect(lines).toHaveLength(20);
      for (const l of lines) {
        // One sample an hour, the last of each acknowledged hour, with its value.
        expect(l.timestamps).toEqual(ackedHours.map((k) => firstHour + k * HOUR + 59 * 60_000));
        expect(l.values).toEqual(ackedHours.map((k) => k * 100 + 59));
      }
    } finally {
      await s.stop();
    }
  }, 600_000);
});

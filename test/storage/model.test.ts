import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { T0, openStorage, rows, tempDir } from './helpers.js';

type Op =
  | { kind: 'append'; rows: [number, number, number][] }
  | { kind: 'flush' }
  | { kind: 'merge' }
  | { kind: 'reopen' }
  | { kind: 'read'; ids: number[]; from: number; to: number };

const row = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -5, max: 5 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.array(row, { minLength: 1, maxLength: 12 }).map((r) => ({ kind: 'append' as const, rows: r })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'merge' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }))
      .map(([ids, a, b]) => ({ kind: 'read' as const, ids, from: Math.min(a, b), to: Math.max(a, b) })),
  },
);

describe('storage against a model', () => {
  it('reads back exactly what a map of (series, time) → last written value holds, through flushes, merges and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const d = tempDir('strata-model-');
        let s = await openStorage(d.path);
        const model = new Map<number, Map<number, number>>();
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              await s.append(...rows(o.rows.map(([id, t, v]) => [id, T0 + t * 1000, v])));
              for (const [id, t, v] of o.rows) {
                if (!model.has(id)) model.set(id, new Map());
                model.get(id)!.set(T0 + t * 1000, v);
              }
            } else if (o.kind === 'flush') await s.forceFlush();
            else if (o.kind === 'merge') await s.forceMerge();
            else if (o.kind === 'reopen') {
              await s.close();
              s = await openStorage(d.path);
            } else {
              const lo = T0 + o.from * 1000;
              const hi = T0 + o.to * 1000;
              const got = await s.read(o.ids, lo, hi);
              for (const id of o.ids) {
                const want = [...(model.get(id) ?? new Map<number, number>()).entries()].filter(([t]) => t >= lo && t <= hi).sort((a, b) => a[0] - b[0]);
                const g = got.get(id);
                const have = g ? Array.from(g.timestamps, (t, i) => [t, g.values[i]!]) : [];
                expect(have).toEqual(want);
              }
            }
          }
        } finally {
          await s.close();
          d.cleanup();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with dedup on, returns per interval the latest timestamp and, among equal timestamps, the largest value', async () => {
    const d = 5000;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const dir = tempDir('strata-model-dedup-');
        let s = await openStorage(dir.path, { dedupIntervalMs: d });
        const model = new Map<number, Map<number, number>>(); // series → time → largest value written
        const base = Math.ceil(T0 / d) * d;
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              await s.append(...rows(o.rows.map(([id, t, v]) => [id, base + t * 1000, v])));
              for (const [id, t, v] of o.rows) {
                if (!model.has(id)) model.set(id, new Map());
                const m = model.get(id)!;
                const at = base + t * 1000;
                m.set(at, Math.max(v, m.get(at) ?? -Infinity));
              }
            } else if (o.kind === 'flush') await s.forceFlush();
            else if (o.kind === 'merge') await s.forceMerge();
            else if (o.kind === 'reopen') {
              await s.close();
              s = await openStorage(dir.path, { dedupIntervalMs: d });
            } else {
              // Whole-interval read ranges, so the answer does not depend on where the range cuts.
              const lo = base + Math.floor(o.from / 5) * d + 1;
              const hi = base + Math.ceil(o.to / 5) * d;
              const got = await s.read(o.ids, lo, hi);
              for (const id of o.ids) {
                const byInterval = new Map<number, [number, number]>();
                for (const [t, v] of model.get(id) ?? []) {
                  if (t < lo || t > hi) continue;
                  const k = Math.ceil(t / d);
                  const cur = byInterval.get(k);
                  if (!cur || t > cur[0]) byInterval.set(k, [t, v]);
                }
                const want = [...byInterval.values()].sort((a, b) => a[0] - b[0]);
                const g = got.get(id);
                const have = g ? Array.from(g.timestamps, (t, i) => [t, g.values[i]!]) : [];
                expect(have).toEqual(want);
              }
            }
          }
        } finally {
          await s.close();
          dir.cleanup();
        }
      }),
      { numRuns: 100 },
    );
  });
});

import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Engine, PromQLError } from '../../src/promql/engine.js';
import { parseExpr } from '../../src/promql/parser.js';
import { TestQuerier } from './helpers.js';

const DIR = '/work/shared/promql-testdata';

/** Every distinct expression of Prometheus's test scripts that our parser accepts. */
function scriptQueries(): string[] {
  const out = new Set<string>();
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.test'))) {
    for (const line of readFileSync(`${DIR}/${f}`, 'utf8').split('\n')) {
      const t = line.trim();
      const m = /^eval\S*\s+instant\s+at\s+\S+\s+(.+)$/.exec(t) ?? /^eval\S*\s+range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+(.+)$/.exec(t);
      if (!m) continue;
      try {
        parseExpr(m[1]!);
        out.add(m[1]!);
      } catch {
        /* not ours to judge */
      }
    }
  }
  return [...out];
}

describe('robustness', () => {
  it('every script expression, over odd data, either answers or fails with a PromQLError', async () => {
    const q = new TestQuerier();
    // A mix of names the scripts use, with NaN, ±Inf, staleness markers, resets and gaps.
    const names = ['metric', 'http_requests', 'http_requests_total', 'testmetric', 'foo', 'bar', 'x', 'data', 'target_info', 'testhistogram_bucket'];
    names.forEach((name, i) => {
      q.add({ __name__: name, job: 'api', instance: String(i), le: i % 2 ? '0.5' : '+Inf' }, [
        [0, 1],
        [60_000, NaN],
        [120_000, Infinity],
        [180_000, 'stale'],
        [240_000, -3],
        [600_000, 1e308],
        [660_000, 0],
      ]);
    });
    const engine = new Engine({ maxSamples: 50_000, timeoutMs: 5_000 });
    const unexpected: string[] = [];
    for (const query of scriptQueries()) {
      for (const run of [() => engine.instantQuery(q, query, 300_000), () => engine.rangeQuery(q, query, -120_000, 900_000, 60_000)]) {
        try {
          await run();
        } catch (e) {
          if (!(e instanceof PromQLError)) unexpected.push(`${query}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
  }, 60_000);
});

/**
 * Every PromQL expression in Prometheus's conformance scripts parses, and printing it gives text
 * that parses back to the same printed form (the printer is a fixed point after one pass).
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExpr } from '../../src/promql/parser.js';
import { printExpr } from '../../src/promql/printer.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/promql-testdata');

function evalExpressions(): string[] {
  const out: string[] = [];
  // start_timestamps.test needs start timestamps in storage; Strata refuses start_timestamp() at parse time.
  for (const f of readdirSync(TESTDATA).filter((n) => n.endsWith('.test') && n !== 'start_timestamps.test')) {
    for (const line of readFileSync(join(TESTDATA, f), 'utf8').split('\n')) {
      const t = line.trim();
      const inst = /^eval(?:_(?:fail|warn|ordered|info))?\s+instant\s+(?:at\s+(?:.+?))?\s+(.+)$/.exec(t);
      const rng = /^eval(?:_(?:fail|warn|info))?\s+range\s+from\s+(?:.+)\s+to\s+(?:.+)\s+step\s+(?:.+?)\s+(.+)$/.exec(t);
      const q = inst?.[1] ?? rng?.[1];
      if (q) out.push(q);
    }
  }
  return out;
}

describe.skipIf(!existsSync(TESTDATA))('conformance script expressions', () => {
  const exprs = existsSync(TESTDATA) ? evalExpressions() : [];

  it('all parse', () => {
    const failures: string[] = [];
    for (const q of exprs) {
      try {
        parseExpr(q);
      } catch (e) {
        failures.push(`${q}: ${(e as Error).message}`);
      }
    }
    expect(exprs.length).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  });

  it('print to text that re-parses to the same printed form', () => {
    const diffs: string[] = [];
    for (const q of exprs) {
      const once = printExpr(parseExpr(q));
      const twice = printExpr(parseExpr(once));
      if (once !== twice) diffs.push(`${q}\n  ${once}\n  ${twice}`);
    }
    expect(diffs).toEqual([]);
  });
});

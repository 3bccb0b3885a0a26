/**
 * Prometheus's own PromQL acceptance scripts run through our engine (README in
 * /work/shared/promql-testdata). Prints exact counts — passed, failed, skipped by reason — per file
 * and in total, and requires a minimum pass ratio over the evals that were run.
 *
 *   PROMQL_VERBOSE=1      print every failing eval with the reason
 *   PROMQL_FILE=name      run only files whose name contains `name`
 *   PROMQL_AT_VARIANTS=0  skip the `@`-modifier variants of instant evals (README §6.2)
 *   PROMQL_RANGE_CHECK=0  skip the range-mode re-check of instant evals (README §6.3)
 *   PROMQL_SKIP=segment   skip every eval after a native-histogram load (README §8's conservative
 *                         rule)
 *   PROMQL_SKIP=histograms skip only the evals that read native-histogram series (how the
 *                         engine was measured before it had native histograms)
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript, summarize, type EngineLike, type EvalOutcome } from './script-runner.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/promql-testdata');

/**
 * The share of run (not skipped) evals that must pass: all of them, native histograms included
 * (only `start_timestamps.test` is skipped, for want of start timestamps in storage).
 */
const MIN_PASS_RATIO = 1;

const ENGINE_MODULE = '../../src/promql/engine.js';

async function loadEngine(): Promise<EngineLike | null> {
  if (!existsSync(join(dirname(fileURLToPath(import.meta.url)), '../../src/promql/engine.ts'))) return null;
  const mod = (await import(/* @vite-ignore */ ENGINE_MODULE)) as {
    Engine: new (opts: Record<string, number>) => EngineLike;
  };
  return new mod.Engine({ lookbackDeltaMs: 5 * 60_000, defaultSubqueryStepMs: 60_000, maxSamples: 50_000_000, timeoutMs: 100_000 });
}

const files = existsSync(TESTDATA)
  ? readdirSync(TESTDATA)
      .filter((f) => f.endsWith('.test'))
      .filter((f) => !process.env.PROMQL_FILE || f.includes(process.env.PROMQL_FILE))
      .sort()
  : [];

describe('PromQL conformance (Prometheus test scripts)', async () => {
  const engine = await loadEngine();
  const all: EvalOutcome[] = [];
  const rows: string[] = [];
  const opts = {
    atVariants: process.env.PROMQL_AT_VARIANTS !== '0',
    rangeCheck: process.env.PROMQL_RANGE_CHECK !== '0',
    conservativeSkip: process.env.PROMQL_SKIP === 'segment',
    skipHistograms: process.env.PROMQL_SKIP === 'histograms',
  };

  it.skipIf(engine === null || files.length === 0).each(files)('%s', async (file) => {
    const started = performance.now();
    const report = await runScript(file, readFileSync(join(TESTDATA, file), 'utf8'), engine!, opts);
    const ms = performance.now() - started;
    all.push(...report.outcomes);
    const s = summarize(report.outcomes);
    rows.push(
      `${file.padEnd(28)} passed ${String(s.passed).padStart(4)}  failed ${String(s.failed).padStart(4)}  skipped ${String(s.skipped).padStart(4)}  (${ms.toFixed(0)} ms)`,
    );
    if (process.env.PROMQL_VERBOSE) {
      for (const o of report.outcomes) if (o.status === 'fail') console.log(`FAIL ${o.file}:${o.line} ${o.query}\n     ${o.reason}`);
    }
    expect(report.error, `script error in ${file}`).toBeUndefined();
  });

  it.skipIf(engine === null || files.length === 0)('passes the minimum share of evals', () => {
    const s = summarize(all);
    const reasons = [...s.skipReasons].map(([r, n]) => `    ${String(n).padStart(5)}  ${r}`).join('\n');
    const ratio = s.passed / Math.max(1, s.passed + s.failed);
    console.log(
      `PromQL conformance\n${rows.join('\n')}\n` +
        `TOTAL passed ${s.passed}, failed ${s.failed}, skipped ${s.skipped} — pass ratio ${(ratio * 100).toFixed(2)}% of ${s.passed + s.failed} run evals\n` +
        `skipped by reason:\n${reasons}`,
    );
    expect(ratio).toBeGreaterThanOrEqual(MIN_PASS_RATIO);
  });
});

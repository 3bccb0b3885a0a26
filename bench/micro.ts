/**
 * Runs the in-process micro benchmarks other modules provide (bench/codec.ts → runCodecBench(), …),
 * each in its own Node process with a time limit, so one that hangs or crashes costs its own cell
 * only. Modules that do not exist yet are listed as n/a.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MicroRun } from './report.js';

export interface MicroBench {
  /** File name next to this module once compiled (bench/codec.ts → codec.js). */
  readonly file: string;
  readonly fn: string;
  readonly name: string;
  /**
   * Argument for the quick profile, as JavaScript source evaluated in the child with the imported
   * module bound to `m` (so it can extend the module's own defaults); omitted → called without
   * arguments, i.e. the module's defaults, which is what the full profile always uses.
   */
  readonly quickArg?: string;
}

export const MICRO_BENCHES: readonly MicroBench[] = [
  { file: 'codec.js', fn: 'runCodecBench', name: 'codecs (bench/codec.ts)', quickArg: '{ seconds: 0.2 }' },
  {
    file: 'index.js',
    fn: 'runIndexBench',
    name: 'label index (bench/index.ts)',
    quickArg: '{ series: 50000, churnDays: 3, churnActive: 5000, churnPerHour: 200 }',
  },
  { file: 'ingest.js', fn: 'runIngestBench', name: 'remote-write decode (bench/ingest.ts)', quickArg: '{ seconds: 1 }' },
  {
    file: 'storage.js',
    fn: 'runStorageBench',
    name: 'storage engine (bench/storage.ts)',
    quickArg: '{ ...(m.DEFAULT_STORAGE_BENCH ?? {}), hosts: 8, hours: 1, restartSeries: 100000 }',
  },
  { file: 'promql.js', fn: 'runPromqlBench', name: 'PromQL inner loops (bench/promql.ts)', quickArg: '{ quick: true }' },
];

const MARK = '\n@@STRATA-BENCH-RESULT@@';

/** Runs one micro benchmark in a child process; killed by its PID when it outlives `timeoutMs`. */
export function runMicro(bench: MicroBench, opts: { quick: boolean; timeoutMs: number }, dir = dirname(fileURLToPath(import.meta.url))): Promise<MicroRun> {
  const file = join(dir, bench.file);
  if (!existsSync(file)) return Promise.resolve({ name: bench.name, error: `${bench.file.replace(/\.js$/, '.ts')} not written yet`, seconds: 0, result: null });
  const script = [
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    `if (typeof m[${JSON.stringify(bench.fn)}] !== 'function') { console.error('no export ${bench.fn}'); process.exit(3); }`,
    `const r = await m[${JSON.stringify(bench.fn)}](${opts.quick && bench.quickArg ? bench.quickArg : ''});`,
    `process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify(r ?? null) + '\\n');`,
    `process.exit(0);`,
  ].join('\n');
  const began = performance.now();
  // A driver file rather than `--input-type=module -e`: worker threads inherit execArgv, and that
  // flag makes every Worker the benchmark starts fail.
  const driverDir = mkdtempSync(join(tmpdir(), 'strata-micro-'));
  const driver = join(driverDir, 'driver.mjs');
  writeFileSync(driver, script);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [driver], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      if (err.length > 20_000) err = err.slice(-10_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(driverDir, { recursive: true, force: true });
      const seconds = (performance.now() - began) / 1000;
      const at = out.lastIndexOf(MARK);
      if (timedOut) return resolve({ name: bench.name, error: `timed out after ${opts.timeoutMs / 1000} s`, seconds, result: null });
      if (code !== 0 || at < 0) {
        const why = errorLine(err) || `exit code ${code}`;
        return resolve({ name: bench.name, error: why, seconds, result: null });
      }
      try {
        resolve({ name: bench.name, error: '', seconds, result: JSON.parse(out.slice(at + MARK.length)) as unknown });
      } catch (e) {
        resolve({ name: bench.name, error: `unreadable result: ${(e as Error).message}`, seconds, result: null });
      }
    });
  });
}

/** The line of a Node crash that says what went wrong ("TypeError: …"), not the stack around it. */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const named = lines.find((l) => /^([A-Z][A-Za-z]*Error|Error)(\s*\[[^\]]*\])?:/.test(l));
  if (named) return named;
  return lines.filter((l) => !/^(at |Node\.js v)/.test(l)).pop() ?? '';
}

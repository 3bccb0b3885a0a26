/**
 * Remote-read scenario (issue 18), side by side in one run: the same samples are remote-written
 * to Strata and to Prometheus 2.42, both are restarted (so what is read comes from their storage,
 * not from what ingestion left in memory), then each answers the same remote-read requests:
 * SAMPLES and STREAMED_XOR_CHUNKS, for a tenth of the samples and for all of them. Per read:
 * seconds until the whole answer has arrived, bytes, and the server's peak RSS during the read
 * (VmHWM, reset through /proc/<pid>/clear_refs before each read) over its RSS before it, and the
 * server's CPU seconds for the read (less noisy than wall time on a shared machine). Each figure is
 * the median of `--reads` measured reads, after one warm-up read.
 *
 *   node scripts/bench.mjs remote-read [--series=1000] [--points=1000] [--reads=3] [--targets=strata,prometheus] [--types=samples,streamed]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snappyCompress } from '../src/ingest/index.js';
import { ByteWriter } from '../src/remote-read/index.js';
import { Rng } from './gen/rng.js';
import { parseScenarioArgs } from './scenario-args.js';
import { encodeLabelBlock, REMOTE_WRITE_HEADERS, WriteRequestBuilder } from './gen/remote-write.js';
import { freePort, httpRequest, PrometheusTarget, readProcStats, StrataTarget } from './targets/index.js';
import type { ServerTarget } from './targets/server-target.js';

interface Args {
  series: number;
  points: number;
  reads: number;
  targets: string[];
  types: string[];
}

function parseArgs(argv: readonly string[]): Args {
  return parseScenarioArgs<Args>(argv, { series: 1000, points: 1000, reads: 3, targets: ['strata', 'prometheus'], types: ['samples', 'streamed'] });
}

const STEP_MS = 15_000;
const PER_REQUEST = 10_000;

function makeBodies(series: number, points: number, toT: number): Uint8Array[] {
  const rng = new Rng(18);
  const labels = Array.from({ length: series }, (_, i) =>
    encodeLabelBlock([
      { name: '__name__', value: 'rr_bench_metric' },
      { name: 'instance', value: `host-${i}:9100` },
      { name: 'job', value: 'node' },
    ]),
  );
  const value = new Float64Array(series);
  const fromT = toT - (points - 1) * STEP_MS;
  const out: Uint8Array[] = [];
  const b = new WriteRequestBuilder();
  // Time order across series, as a scraper sends: Prometheus's head accepts nothing older.
  for (let t = fromT; t <= toT; t += STEP_MS) {
    for (let i = 0; i < series; i++) {
      value[i]! += Math.floor(rng.next() * 100);
      b.add(labels[i]!, t, value[i]!);
      if (b.sampleCount >= PER_REQUEST) out.push(b.finish().data);
    }
  }
  if (b.sampleCount > 0) out.push(b.finish().data);
  return out;
}

/** A snappy ReadRequest with one query: `__name__="rr_bench_metric"` over [start, end]. */
function readRequest(start: number, end: number, responseType: 0 | 1): Uint8Array {
  const m = new ByteWriter(256);
  m.tag(1, 0);
  m.varint(0);
  m.lenField(2, 8);
  m.raw(Buffer.from('__name__'));
  m.lenField(3, 15);
  m.raw(Buffer.from('rr_bench_metric'));
  const q = new ByteWriter(256);
  q.tag(1, 0);
  q.int64(start);
  q.tag(2, 0);
  q.int64(end);
  q.lenField(3, m.off);
  q.raw(m.bytes());
  const r = new ByteWriter(256);
  r.lenField(1, q.off);
  r.raw(q.bytes());
  r.tag(2, 0);
  r.varint(responseType);
  return snappyCompress(r.bytes());
}

async function send(url: string, bodies: readonly Uint8Array[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const r = await httpRequest(url, { method: 'POST', body, headers: REMOTE_WRITE_HEADERS, timeoutMs: 600_000 });
      if (r.status >= 300) throw new Error(`${url} answered ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
    }
  };
  // One at a time: the bodies are in time order, and Prometheus's head refuses older samples.
  await worker();
}

interface ReadRow {
  target: string;
  type: string;
  samples: number;
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  rssBeforeMB: number;
  peakMB: number;
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function measure(
  t: ServerTarget,
  label: string,
  start: number,
  end: number,
  samples: number,
  reads: number,
  types: readonly string[],
): Promise<ReadRow[]> {
  const rows: ReadRow[] = [];
  for (const [type, name] of [
    [0, 'SAMPLES'],
    [1, 'STREAMED_XOR_CHUNKS'],
  ] as const) {
    if (!types.includes(type === 0 ? 'samples' : 'streamed')) continue;
    const body = readRequest(start, end, type);
    const headers = { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Read-Version': '0.1.0' };
    // One warm-up read (page cache, JIT), then the measured ones.
    await httpRequest(`${t.baseUrl}/api/v1/read`, { method: 'POST', body, headers, timeoutMs: 600_000 });
    const runs: ReadRow[] = [];
    for (let i = 0; i < reads; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const before = readProcStats(t.pid);
      const reset = resetPeak(t.pid);
      const t0 = performance.now();
      const r = await httpRequest(`${t.baseUrl}/api/v1/read`, { method: 'POST', body, headers, timeoutMs: 600_000 });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 200) throw new Error(`${label} ${name}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
      const after = readProcStats(t.pid);
      runs.push({
        target: label,
        type: name,
        samples,
        seconds,
        cpuSeconds: after.cpuSeconds - before.cpuSeconds,
        bytes: r.body.length,
        rssBeforeMB: before.rssBytes / 2 ** 20,
        peakMB: reset ? after.peakRssBytes / 2 ** 20 : NaN,
      });
    }
    const median = (f: (r: ReadRow) => number): number => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
    rows.push({
      ...runs[0]!,
      seconds: median((r) => r.seconds),
      cpuSeconds: median((r) => r.cpuSeconds),
      rssBeforeMB: median((r) => r.rssBeforeMB),
      peakMB: median((r) => r.peakMB),
    });
  }
  return rows;
}

async function run(
  t: ServerTarget,
  label: string,
  bodies: readonly Uint8Array[],
  ranges: Array<{ start: number; end: number; samples: number }>,
  reads: number,
  types: readonly string[],
): Promise<ReadRow[]> {
  const why = await t.prepare({ install: false });
  if (why) throw new Error(`${label}: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-rr-'));
  const logFile = join(dir, '..', `strata-bench-rr-${t.id}.log`);
  try {
    const port = await freePort();
    await t.start(dir, port, logFile);
    await send(t.baseUrl + t.writePath, bodies);
    await t.makeQueryable();
    await t.stop();
    await t.start(dir, port, logFile);
    const rows: ReadRow[] = [];
    for (const r of ranges) rows.push(...(await measure(t, t.version === 'unknown' ? label : t.version, r.start, r.end, r.samples, reads, types)));
    return rows;
  } finally {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const toT = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const fromT = toT - (args.points - 1) * STEP_MS;
  const bodies = makeBodies(args.series, args.points, toT);
  const total = args.series * args.points;
  const tenth = Math.max(1, Math.floor(args.points / 10));
  const ranges = [
    { start: toT - (tenth - 1) * STEP_MS, end: toT, samples: tenth * args.series },
    { start: fromT, end: toT, samples: total },
  ];
  const rows: ReadRow[] = [];
  for (const [t, label] of [
    [new StrataTarget(), 'Strata'],
    [new PrometheusTarget(), 'Prometheus'],
  ] as const) {
    if (!args.targets.includes(label.toLowerCase())) continue;
    try {
      rows.push(...(await run(t, label, bodies, ranges, Math.max(1, args.reads), args.types)));
    } catch (e) {
      process.stderr.write(`[remote-read] ${label}: ${(e as Error).message}\n`);
    }
  }
  console.log(
    `\nRemote read: ${args.series} series × ${args.points} points at 15 s (${total.toLocaleString('en')} samples), read back after a restart; median of ${args.reads} reads\n`,
  );
  console.log(
    '| server | response type | samples read | seconds | samples/s | server CPU s | response bytes | RSS before (MB) | peak RSS during the read (MB) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.target} | ${r.type} | ${r.samples.toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${Math.round(r.samples / r.seconds).toLocaleString('en')} | ${r.cpuSeconds.toFixed(2)} | ${r.bytes.toLocaleString('en')} | ${r.rssBeforeMB.toFixed(0)} | ${r.peakMB.toFixed(0)} |`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[remote-read] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

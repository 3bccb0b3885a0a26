/**
 * Series-index scenario (issue 6), side by side in one run: create N new series through remote
 * write (one sample each, 10k series per request, 4 connections), then persist and measure the
 * index on disk, then time label-value and series lookups on the populated index.
 *
 *   node scripts/bench.mjs series [--series=1000000] [--targets=strata,vm] [--reps=15]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLabelBlock, REMOTE_WRITE_HEADERS, WriteRequestBuilder, type EncodedBody } from './gen/remote-write.js';
import { freePort, httpRequest, readProcStats, StrataTarget, VictoriaMetricsTarget, type Target } from './targets/index.js';

interface Args {
  series: number;
  targets: string[];
  reps: number;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { series: 1_000_000, targets: ['strata', 'vm'], reps: 15 };
  for (const arg of argv) {
    const [k, v] = arg.replace(/^--/, '').split('=');
    if (k === 'series') a.series = Number(v);
    else if (k === 'targets') a.targets = (v ?? '').split(',');
    else if (k === 'reps') a.reps = Number(v);
    else if (k !== 'series-scenario') throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(a.series) || a.series < 10_000) throw new Error('--series must be an integer ≥ 10000');
  return a;
}

const PER_REQUEST = 10_000;
const CONNECTIONS = 4;

/** Kubernetes-like label sets: every series new, values shared across series as in real clusters. */
function bodies(n: number, t: number): EncodedBody[] {
  const out: EncodedBody[] = [];
  const b = new WriteRequestBuilder();
  for (let i = 0; i < n; i++) {
    const labels = [
      { name: '__name__', value: `container_metric_${i % 50}` },
      { name: 'container', value: `c${i % 7}` },
      { name: 'instance', value: `10.0.${(i >> 8) & 255}.${i & 255}:10250` },
      { name: 'job', value: 'kubelet' },
      { name: 'namespace', value: `ns-${i % 40}` },
      { name: 'pod', value: `pod-${Math.floor(i / 50)}` },
    ];
    b.add(encodeLabelBlock(labels), t, i % 1000);
    if (b.sampleCount === PER_REQUEST) out.push(b.finish());
  }
  if (b.sampleCount > 0) out.push(b.finish());
  return out;
}

async function send(target: Target, all: EncodedBody[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const body = all[next++]!;
      const r = await httpRequest(target.baseUrl + target.writePath, { method: 'POST', body: body.data, headers: REMOTE_WRITE_HEADERS, timeoutMs: 600_000 });
      if (r.status !== 204 && r.status !== 200) throw new Error(`${target.label}: write answered ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
}

async function median(reps: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

interface Row {
  label: string;
  createSeconds: number;
  cpuSeconds: number;
  seriesPerSecond: number;
  indexBytes: number | null;
  lookups: Record<string, number>;
}

async function runTarget(target: Target, n: number, reps: number, t: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `strata-series-${target.id}-`));
  const why = await target.prepare({ install: true });
  if (why) throw new Error(`${target.label}: ${why}`);
  await target.start(join(dir, 'data'), await freePort(), join(dir, 'server.log'));
  try {
    const all = bodies(n, t);
    const cpu0 = readProcStats(target.pid).cpuSeconds;
    const t0 = performance.now();
    await send(target, all);
    const createSeconds = (performance.now() - t0) / 1000;
    const cpuSeconds = readProcStats(target.pid).cpuSeconds - cpu0;
    await target.makeQueryable();
    const persisted = await target.persist();
    const q = (path: string) => async () => {
      const r = await httpRequest(target.baseUrl + path, { timeoutMs: 120_000 });
      if (r.status !== 200) throw new Error(`${target.label} ${path}: ${r.status}`);
    };
    const range = `start=${t / 1000 - 3600}&end=${t / 1000 + 60}`;
    const lookups: Record<string, number> = {
      'label values: namespace': await median(reps, q(`/api/v1/label/namespace/values?${range}`)),
      'label values: pod (n/50 values)': await median(reps, q(`/api/v1/label/pod/values?${range}`)),
      labels: await median(reps, q(`/api/v1/labels?${range}`)),
      'series: {pod="pod-123"}': await median(reps, q(`/api/v1/series?match[]=${encodeURIComponent('{pod="pod-123"}')}&${range}`)),
      'series: metric+namespace': await median(reps, q(`/api/v1/series?match[]=${encodeURIComponent('container_metric_7{namespace="ns-7"}')}&${range}`)),
      'series: regex instance': await median(reps, q(`/api/v1/series?match[]=${encodeURIComponent('{instance=~"10\\\\.0\\\\.3\\\\..*"}')}&${range}`)),
    };
    return { label: target.label, createSeconds, cpuSeconds, seriesPerSecond: n / createSeconds, indexBytes: persisted.indexBytes, lookups };
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(v: number | null, unit = ''): string {
  if (v === null) return 'n/a';
  return (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3)) + unit;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const targets: Target[] = [];
  if (args.targets.includes('strata')) targets.push(new StrataTarget());
  if (args.targets.includes('vm')) targets.push(new VictoriaMetricsTarget());
  const rows: Row[] = [];
  for (const target of targets) {
    process.stderr.write(`[series] ${target.label}: creating ${args.series.toLocaleString('en-US')} series\n`);
    rows.push(await runTarget(target, args.series, args.reps, t));
  }
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? 'n/a' : (a / b).toPrecision(3) + '×');
  const [s, v] = [rows.find((r) => r.label === 'Strata'), rows.find((r) => r.label !== 'Strata')];
  const lines = [
    `### Series index — ${args.series.toLocaleString('en-US')} new series through remote write, ${new Date().toISOString()}`,
    '',
    `| | ${rows.map((r) => r.label).join(' | ')} |${s && v ? ' Strata ÷ VM |' : ''}`,
    `|:---|${rows.map(() => '---:').join('|')}|${s && v ? '---:|' : ''}`,
    `| create: seconds (↓) | ${rows.map((r) => fmt(r.createSeconds)).join(' | ')} |${s && v ? ` ${ratio(s.createSeconds, v.createSeconds)} |` : ''}`,
    `| create: series/s (↑) | ${rows.map((r) => fmt(r.seriesPerSecond)).join(' | ')} |${s && v ? ` ${ratio(s.seriesPerSecond, v.seriesPerSecond)} |` : ''}`,
    `| create: server CPU s (↓) | ${rows.map((r) => fmt(r.cpuSeconds)).join(' | ')} |${s && v ? ` ${ratio(s.cpuSeconds, v.cpuSeconds)} |` : ''}`,
    `| index bytes per series (↓) | ${rows.map((r) => fmt(r.indexBytes === null ? null : r.indexBytes / args.series)).join(' | ')} |${s && v ? ` ${ratio(s.indexBytes, v.indexBytes)} |` : ''}`,
  ];
  for (const k of Object.keys(rows[0]?.lookups ?? {})) {
    lines.push(`| ${k}: median ms (↓) | ${rows.map((r) => fmt(r.lookups[k]!)).join(' | ')} |${s && v ? ` ${ratio(s.lookups[k]!, v.lookups[k]!)} |` : ''}`);
  }
  console.log(lines.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

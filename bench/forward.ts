/**
 * Forwarding scenario (issue 20), side by side in one run: the same remote-write bodies go
 *   - to Strata alone (the baseline),
 *   - to Strata with --remoteWrite.url pointing at a VictoriaMetrics receiver,
 *   - to vmagent 1.79 with -remoteWrite.url pointing at the same kind of receiver,
 * and each is measured until everything has reached the receiver: the sender's CPU seconds per
 * 1M samples, and forwarding throughput (samples / seconds until the receiver has them all).
 *
 *   node scripts/bench.mjs forward [--series=2000] [--points=500]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from './gen/rng.js';
import { parseScenarioArgs } from './scenario-args.js';
import { encodeLabelBlock, REMOTE_WRITE_HEADERS, WriteRequestBuilder } from './gen/remote-write.js';
import { freePort, httpRequest, readProcStats, StrataTarget, VictoriaMetricsTarget, ensureBinary, waitHttpOk } from './targets/index.js';

interface Args {
  series: number;
  points: number;
}

function parseArgs(argv: readonly string[]): Args {
  return parseScenarioArgs<Args>(argv, { series: 2000, points: 500 });
}

const STEP_MS = 10_000;
const PER_REQUEST = 10_000;

function makeBodies(series: number, points: number): Uint8Array[] {
  const rng = new Rng(20);
  const labels = Array.from({ length: series }, (_, i) =>
    encodeLabelBlock([
      { name: '__name__', value: `fw_metric_${i % 50}` },
      { name: 'instance', value: `host-${Math.floor(i / 50)}:9100` },
      { name: 'job', value: 'node' },
    ]),
  );
  const value = new Float64Array(series);
  const toT = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const fromT = toT - (points - 1) * STEP_MS;
  const out: Uint8Array[] = [];
  const b = new WriteRequestBuilder();
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

async function send(url: string, bodies: readonly Uint8Array[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const r = await httpRequest(url, { method: 'POST', body, headers: REMOTE_WRITE_HEADERS, timeoutMs: 600_000 });
      if (r.status >= 300) throw new Error(`${url} answered ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function receivedSamples(vmUrl: string, match: string): Promise<number> {
  await httpRequest(`${vmUrl}/internal/force_flush`, { method: 'GET', timeoutMs: 60_000 });
  const r = await httpRequest(`${vmUrl}/api/v1/query?query=${encodeURIComponent(`sum(count_over_time(${match}[1d]))`)}`, { method: 'GET', timeoutMs: 60_000 });
  const res = JSON.parse(r.body.toString('utf8')) as { data: { result: { value: [number, string] }[] } };
  return Number(res.data.result[0]?.value[1] ?? 0);
}

async function until(fn: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function receiver(): Promise<{ url: string; stop: () => Promise<void> }> {
  const vm = new VictoriaMetricsTarget();
  const why = await vm.prepare({ install: true });
  if (why) throw new Error(`VictoriaMetrics: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-fwd-rx-'));
  await vm.start(dir, await freePort(), join(dir, '..', 'strata-bench-fwd-rx.log'));
  return {
    url: vm.baseUrl,
    stop: async () => {
      await vm.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

class ForwardingStrata extends StrataTarget {
  constructor(private readonly extra: string[]) {
    super();
  }
  protected override command(dataDir: string, port: number) {
    const c = super.command(dataDir, port);
    return { ...c, args: [...c.args, ...this.extra] };
  }
}

interface Row {
  label: string;
  cpuPerM: number;
  seconds: number;
}

async function strataRun(label: string, bodies: readonly Uint8Array[], samples: number, forwardTo: string | null): Promise<Row> {
  const s = new ForwardingStrata(forwardTo ? [`--remoteWrite.url=${forwardTo}/api/v1/write`, '--remoteWrite.queues=2'] : []);
  const why = await s.prepare();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-fwd-'));
  try {
    await s.start(dir, await freePort(), join(dir, '..', 'strata-bench-fwd.log'));
    const t0 = performance.now();
    await send(s.baseUrl + s.writePath, bodies);
    await httpRequest(`${s.baseUrl}/internal/force_flush`, { method: 'POST', timeoutMs: 600_000 });
    if (forwardTo) await until(async () => (await receivedSamples(forwardTo, '{__name__=~"fw_metric_.*"}')) >= samples);
    const seconds = (performance.now() - t0) / 1000;
    return { label, cpuPerM: s.stats().cpuSeconds / (samples / 1e6), seconds };
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function vmagentRun(bodies: readonly Uint8Array[], samples: number, forwardTo: string): Promise<Row> {
  const { path, reason } = ensureBinary('vmagent', 'victoria-metrics', true);
  if (!path) throw new Error(`vmagent: ${reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-vmagent-'));
  const port = await freePort();
  const proc: ChildProcess = spawn(
    path,
    [`-httpListenAddr=127.0.0.1:${port}`, `-remoteWrite.url=${forwardTo}/api/v1/write`, `-remoteWrite.tmpDataPath=${dir}`, '-loggerLevel=WARN'],
    { stdio: 'ignore' },
  );
  try {
    await waitHttpOk(`http://127.0.0.1:${port}/health`, 60_000, () => proc.exitCode === null);
    const t0 = performance.now();
    await send(`http://127.0.0.1:${port}/api/v1/write`, bodies);
    await until(async () => (await receivedSamples(forwardTo, '{__name__=~"fw_metric_.*"}')) >= samples);
    const seconds = (performance.now() - t0) / 1000;
    return { label: 'vmagent 1.79', cpuPerM: readProcStats(proc.pid!).cpuSeconds / (samples / 1e6), seconds };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const bodies = makeBodies(args.series, args.points);
  const samples = args.series * args.points;
  const rows: Row[] = [];
  rows.push(await strataRun('Strata, not forwarding', bodies, samples, null));
  for (const [label, run] of [
    ['Strata, forwarding from its WAL', (url: string) => strataRun('Strata, forwarding from its WAL', bodies, samples, url)],
    ['vmagent', (url: string) => vmagentRun(bodies, samples, url)],
  ] as const) {
    const rx = await receiver();
    try {
      rows.push(await run(rx.url));
    } catch (e) {
      process.stderr.write(`[forward] ${label}: ${(e as Error).message}\n`);
    } finally {
      await rx.stop();
    }
  }
  const base = rows[0]!;
  console.log(`\nForwarding: ${args.series} series × ${args.points} points (${samples.toLocaleString('en')} samples) to a VictoriaMetrics 1.79 receiver\n`);
  console.log('| sender | CPU s per 1M samples | forwarding CPU over ingest | seconds until the receiver has all | samples/s |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const extra =
      r === base
        ? '—'
        : r.label.startsWith('Strata')
          ? `+${(((r.cpuPerM - base.cpuPerM) / base.cpuPerM) * 100).toFixed(0)}% (${(r.cpuPerM - base.cpuPerM).toFixed(2)} s/1M)`
          : 'n/a (vmagent stores nothing)';
    console.log(`| ${r.label} | ${r.cpuPerM.toFixed(2)} | ${extra} | ${r.seconds.toFixed(1)} | ${Math.round(samples / r.seconds).toLocaleString('en')} |`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[forward] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

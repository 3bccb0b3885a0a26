#!/usr/bin/env node
// Resident memory while ingesting: starts Strata (and VictoriaMetrics when it is installed) on
// 127.0.0.1, one at a time, feeds both the same pre-encoded remote-write bodies and prints peak
// and steady RSS per system and their ratio. Needs `node scripts/build.mjs` first (imports dist/).
//
//   node scripts/measure-rss.mjs [--rounds 20] [--series 100000] [--per-request 10000]
//        [--conc 4] [--settle 8] [--vm auto|off|PATH] [--only strata|vm] [--json]
//        [--strata-env NAME=VALUE]...   (extra environment for Strata, e.g. MALLOC_MMAP_THRESHOLD_=131072)
//
// Round 0 creates the series; rounds 1..N each add one sample per series (15 s apart). "early"
// is the median RSS over the first tenth of the rounds after round 0 and "late" over the last
// tenth: issue 4 wants late/early ≤ 1.2 (memory follows series, not samples).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distIngest = join(root, 'dist/ingest/index.js');
const cli = join(root, 'dist/cli.js');

class UsageError extends Error {}

function parseArgs(argv) {
  const o = { rounds: 20, series: 100_000, perRequest: 10_000, conc: 4, settle: 8, vm: 'auto', only: null, json: false, strataEnv: {} };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} wants a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--rounds':
        o.rounds = num('rounds', value());
        break;
      case '--series':
        o.series = num('series', value());
        break;
      case '--per-request':
        o.perRequest = num('per-request', value());
        break;
      case '--conc':
        o.conc = num('conc', value());
        break;
      case '--settle':
        o.settle = num('settle', value());
        break;
      case '--vm':
        o.vm = value();
        break;
      case '--only':
        o.only = value();
        if (!['strata', 'vm'].includes(o.only)) throw new UsageError(`--only wants strata or vm, got ${o.only}`);
        break;
      case '--json':
        o.json = true;
        break;
      case '--strata-env': {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value());
        if (!m) throw new UsageError('--strata-env wants NAME=VALUE');
        o.strataEnv[m[1]] = m[2];
        break;
      }
      case '--help':
      case '-h':
        console.log(
          readFileSync(fileURLToPath(import.meta.url), 'utf8')
            .split('\n')
            .slice(1, 12)
            .map((l) => l.replace(/^\/\/ ?/, ''))
            .join('\n'),
        );
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument ${argv[i]}`);
    }
  }
  if (o.series < 1 || o.perRequest < 1 || o.conc < 1 || o.rounds < 1) throw new UsageError('--series, --per-request, --conc and --rounds must be at least 1');
  return o;
}

function findVm(spec) {
  if (spec === 'off') return null;
  if (spec !== 'auto') {
    if (!existsSync(spec)) throw new UsageError(`--vm ${spec}: no such file`);
    return spec;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v victoria-metrics'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Round r's bodies; identical for every system, so both parse the same bytes. */
async function encodeBodies(o) {
  const { encodeRemoteWriteV1 } = await import(distIngest);
  const t0 = Date.now() - 3_600_000;
  const labelsOf = [];
  for (let i = 0; i < o.series; i++) {
    labelsOf.push([
      { name: '__name__', value: 'node_metric_' + (i % 200) },
      { name: 'cpu', value: String(i % 16) },
      { name: 'instance', value: 'host-' + Math.floor(i / 1000) + ':9100' },
      { name: 'job', value: 'node' },
      { name: 'mode', value: 'm' + (Math.floor(i / 200) % 5) },
    ]);
  }
  const rounds = [];
  for (let r = 0; r <= o.rounds; r++) {
    const bodies = [];
    for (let off = 0; off < o.series; off += o.perRequest) {
      const s = [];
      for (let i = off; i < Math.min(o.series, off + o.perRequest); i++) {
        s.push({ labels: labelsOf[i], timestamps: [t0 + r * 15_000], values: [Math.round(i * 1.5 + r * 10) / 10] });
      }
      bodies.push(encodeRemoteWriteV1(s));
    }
    rounds.push(bodies);
  }
  return rounds;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** VmHWM, VmRSS, RssAnon, RssFile of a process, in bytes (null once it is gone). */
function memOf(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { hwm: kb('VmHWM'), rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

async function waitHealthy(url, child, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before it was healthy`);
    try {
      const r = await fetch(url + '/health');
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url}/health did not answer within ${ms} ms`);
}

async function feed(url, bodies, conc) {
  let next = 0;
  let failed = 0;
  const one = async () => {
    while (next < bodies.length) {
      const b = bodies[next++];
      const r = await fetch(url + '/api/v1/write', {
        method: 'POST',
        body: b,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      });
      if (r.status !== 204) {
        failed++;
        if (failed <= 3) console.error(`  write: HTTP ${r.status} ${(await r.text()).slice(0, 200)}`);
      } else await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: conc }, one));
  return failed;
}

const median = (xs) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
}

async function measure(name, argv, rounds, o, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), `rss-${name}-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [cmd, ...args] = argv(dir, port);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  let peak = { rss: 0, anon: 0, file: 0 };
  const samples = [];
  const sampler = setInterval(() => {
    const m = memOf(child.pid);
    if (!m) return;
    samples.push(m.rss);
    if (m.rss > peak.rss) peak = m;
  }, 100);
  try {
    await waitHealthy(url, child);
    const started = performance.now();
    let failed = await feed(url, rounds[0], o.conc);
    const created = memOf(child.pid);
    const perRound = [];
    let samplesSent = 0;
    const ingestStart = performance.now();
    for (let r = 1; r < rounds.length; r++) {
      failed += await feed(url, rounds[r], o.conc);
      samplesSent += o.series;
      perRound.push(memOf(child.pid).rss);
    }
    const ingestSecs = (performance.now() - ingestStart) / 1000;
    const atEnd = memOf(child.pid);
    await sleep(o.settle * 1000);
    const settled = memOf(child.pid);
    let metrics = null;
    if (name === 'strata') {
      try {
        const text = await (await fetch(url + '/metrics')).text();
        const pick = (n) => Number(new RegExp(`^${n}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
        metrics = {
          heapUsed: pick('nodejs_heap_used_bytes'),
          heapTotal: pick('nodejs_heap_total_bytes'),
          external: pick('nodejs_external_memory_bytes'),
          forcedGcs: pick('strata_forced_gc_total'),
          forcedGcSeconds: pick('strata_forced_gc_seconds_total'),
        };
      } catch {
        metrics = null;
      }
    }
    const tenth = Math.max(1, Math.ceil(perRound.length / 10));
    const early = median(perRound.slice(0, tenth));
    const late = median(perRound.slice(-tenth));
    return {
      name,
      hwm: settled.hwm,
      peak,
      afterCreate: created.rss,
      early,
      late,
      steady: median(perRound.slice(Math.floor(perRound.length / 2))),
      settled: settled.rss,
      settledAnon: settled.anon,
      settledFile: settled.file,
      growth: early > 0 ? late / early : NaN,
      samplesPerSec: Math.round(samplesSent / ingestSecs),
      secs: (performance.now() - started) / 1000,
      failed,
      metrics,
    };
  } catch (e) {
    throw new Error(`${name}: ${e.message}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`);
  } finally {
    clearInterval(sampler);
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const MiB = (b) => (b / 1048576).toFixed(0);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(distIngest) || !existsSync(cli)) throw new UsageError('dist/ is missing: run `node scripts/build.mjs` first');
  const vm = o.only === 'strata' ? null : findVm(o.vm);
  if (o.only === 'vm' && !vm) throw new UsageError('--only vm but no victoria-metrics binary (give --vm PATH)');
  const t = performance.now();
  const rounds = await encodeBodies(o);
  const bytes = rounds.flat().reduce((n, b) => n + b.length, 0);
  if (!o.json) {
    console.log(
      `encoded ${rounds.length} rounds × ${rounds[0].length} bodies (${MiB(bytes)} MiB) in ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
        `${o.series} series, ${o.rounds * o.series} samples after the creating round, ${o.conc} connections`,
    );
  }
  const results = [];
  if (o.only !== 'vm') {
    results.push(
      await measure(
        'strata',
        (dir, port) => [
          process.execPath,
          cli,
          'serve',
          `--storageDataPath=${dir}`,
          `--httpListenAddr=127.0.0.1:${port}`,
          '--retentionPeriod=1y',
          '--loggerLevel=WARN',
        ],
        rounds,
        o,
        o.strataEnv,
      ),
    );
  }
  if (vm) {
    results.push(
      await measure(
        'vm',
        (dir, port) => [vm, `-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=1y', '-loggerLevel=WARN'],
        rounds,
        o,
      ),
    );
  }
  const strata = results.find((r) => r.name === 'strata');
  const vmr = results.find((r) => r.name === 'vm');
  const ratio = strata && vmr ? { peak: strata.hwm / vmr.hwm, steady: strata.steady / vmr.steady, settled: strata.settled / vmr.settled } : null;
  if (o.json) {
    console.log(JSON.stringify({ options: o, results, ratio }));
    return;
  }
  console.log('\nsystem   peak(VmHWM) anon/file@peak  created  early   late  steady  settled(anon/file)  late/early  samples/s  failed');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(8)} ${MiB(r.hwm).padStart(7)} MiB ${`${MiB(r.peak.anon)}/${MiB(r.peak.file)}`.padStart(12)}  ${MiB(r.afterCreate).padStart(7)} ${MiB(r.early).padStart(6)} ${MiB(r.late).padStart(6)} ${MiB(r.steady).padStart(7)}  ` +
        `${`${MiB(r.settled)} (${MiB(r.settledAnon)}/${MiB(r.settledFile)})`.padStart(18)}  ${r.growth.toFixed(2).padStart(10)}  ${String(r.samplesPerSec).padStart(9)}  ${String(r.failed).padStart(6)}`,
    );
  }
  if (strata?.metrics) {
    const m = strata.metrics;
    console.log(
      `strata main thread after settling: heapUsed ${MiB(m.heapUsed)} MiB, heapTotal ${MiB(m.heapTotal)} MiB, external ${MiB(m.external)} MiB` +
        (Number.isNaN(m.forcedGcs) ? '' : `; forced GCs ${m.forcedGcs} (${(m.forcedGcSeconds * 1000).toFixed(0)} ms in all)`),
    );
  }
  if (ratio)
    console.log(
      `strata / vm: peak ${ratio.peak.toFixed(2)}×, steady ${ratio.steady.toFixed(2)}×, settled ${ratio.settled.toFixed(2)}×  (issue 4 bar: peak ≤ 2×)`,
    );
  console.log('(MiB; early/late/steady are RSS sampled between rounds: first tenth, last tenth, second half)');
}

main().catch((e) => {
  console.error(`measure-rss: ${e.message}`);
  process.exit(e instanceof UsageError ? 2 : 1);
});

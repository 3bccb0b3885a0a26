/**
 * `npm run bench -- backup [--hosts=N] [--minutes=M]`: backup and restore throughput to fs:// on
 * the benchmark's data, Strata (`strata backup` / `strata restore`, sha256 of every file
 * included) against VictoriaMetrics 1.79 (`vmbackup` / `vmrestore`, Debian `victoria-metrics`).
 * Each system ingests the same generated remote-write bodies, force-merges, takes a snapshot and
 * is stopped; then the tools run one at a time, timed from process start to exit. MB/s is the
 * snapshot's bytes over that time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset } from './gen/index.js';
import { runIngest } from './ingest-e2e.js';
import { dirBytes, ensureBinary, freePort, StrataTarget, VictoriaMetricsTarget, type Target } from './targets/index.js';

const log = (msg: string): void => void process.stderr.write(`[bench backup] ${msg}\n`);

interface Row {
  system: string;
  bytes: number;
  backupSeconds: number;
  restoreSeconds: number;
  note: string;
}

function timed(cmd: string, args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  return (performance.now() - t0) / 1000;
}

async function snapshotOf(target: Target): Promise<string> {
  const r = await fetch(`${target.baseUrl}/snapshot/create`, { method: 'POST' });
  const body = (await r.json()) as { status: string; snapshot?: string };
  if (body.status !== 'ok' || !body.snapshot) throw new Error(`${target.label}: /snapshot/create answered ${JSON.stringify(body)}`);
  return body.snapshot;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { hosts: { type: 'string' }, minutes: { type: 'string' } } });
  const hosts = Number(values.hosts ?? 100);
  const minutes = Number(values.minutes ?? 240);
  const intervalMs = 15_000;
  const dataset = generateDataset({
    seed: 1,
    hosts,
    scrapeIntervalMs: intervalMs,
    durationMs: minutes * 60_000,
    endMs: Math.floor(Date.now() / intervalMs) * intervalMs,
    churnFraction: 0.1,
    churnIntervalMs: 30 * 60_000,
    samplesPerRequest: 10_000,
    shards: 2,
  });
  log(`${(dataset.totalSamples / 1e6).toFixed(1)}M samples (${hosts} hosts × ${minutes} min)`);
  const vmbackup = ensureBinary('vmbackup', 'victoria-metrics', true);
  const vmrestore = ensureBinary('vmrestore', 'victoria-metrics', true);
  const work = mkdtempSync(join(os.tmpdir(), 'strata-bench-backup-'));
  const rows: Row[] = [];
  try {
    for (const target of [new StrataTarget(), new VictoriaMetricsTarget()] as Target[]) {
      const missing = await target.prepare({ install: true });
      if (missing) {
        log(`${target.label}: skipped (${missing})`);
        continue;
      }
      const dataDir = join(work, `${target.id}-data`);
      await target.start(dataDir, await freePort(), join(work, `${target.id}.log`));
      let snapshot: string;
      try {
        await runIngest(target, dataset);
        await target.persist();
        snapshot = await snapshotOf(target);
      } finally {
        await target.stop();
      }
      const repo = join(work, `${target.id}-repo`);
      const restored = join(work, `${target.id}-restored`);
      // VictoriaMetrics's snapshot directory holds symlinks; the backup's own size counts the same for both.
      if (target.id === 'strata') {
        const cli = join(process.cwd(), 'dist', 'cli.js');
        const backupSeconds = timed(process.execPath, [
          cli,
          'backup',
          `-storageDataPath=${dataDir}`,
          `-snapshotName=${snapshot}`,
          `-dst=fs://${repo}/b`,
          '-progress=none',
        ]);
        const restoreSeconds = timed(process.execPath, [cli, 'restore', `-src=fs://${repo}/b`, `-storageDataPath=${restored}`, '-progress=none']);
        rows.push({ system: `Strata (${target.version})`, bytes: dirBytes(repo), backupSeconds, restoreSeconds, note: 'sha256 of every file on both sides' });
      } else if (vmbackup.path && vmrestore.path) {
        const backupSeconds = timed(vmbackup.path, [`-storageDataPath=${dataDir}`, `-snapshotName=${snapshot}`, `-dst=fs://${repo}`, '-loggerLevel=ERROR']);
        const restoreSeconds = timed(vmrestore.path, [`-src=fs://${repo}`, `-storageDataPath=${restored}`, '-loggerLevel=ERROR']);
        rows.push({ system: `VictoriaMetrics (${target.version})`, bytes: dirBytes(repo), backupSeconds, restoreSeconds, note: 'vmbackup/vmrestore' });
      } else log(`vmbackup/vmrestore missing: ${vmbackup.reason || vmrestore.reason}`);
      log(`${target.label}: backup of ${((rows.at(-1)?.bytes ?? 0) / 1e6).toFixed(1)} MB`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const mbs = (b: number, s: number): string => (b / 1e6 / s).toFixed(1);
  const lines = ['| system | backup MB | backup s | backup MB/s | restore s | restore MB/s | note |', '|---|---|---|---|---|---|---|'];
  for (const r of rows)
    lines.push(
      `| ${r.system} | ${(r.bytes / 1e6).toFixed(1)} | ${r.backupSeconds.toFixed(2)} | ${mbs(r.bytes, r.backupSeconds)} | ${r.restoreSeconds.toFixed(2)} | ${mbs(r.bytes, r.restoreSeconds)} | ${r.note} |`,
    );
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e: unknown) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

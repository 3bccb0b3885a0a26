/**
 * The long-running backup behaviours (STRATA_SLOW_TESTS=1): kill -9 halfway through a backup
 * and a restore and resume, the -maxBytesPerSecond rate, and the progress bar in a terminal.
 * The data is ~8 MB of random values in 24 monthly parts, so no file is a big share of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { cli, startCli, summaryOf } from './cli.js';
import { exportAll, ingestSpread, treeBytes } from './helpers.js';

const SLOW = !!process.env.STRATA_SLOW_TESTS;
const RATE = 2_000_000;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

async function killAt(run: ReturnType<typeof startCli>, progress: () => number, target: number): Promise<void> {
  while (progress() < target) {
    if (run.child.exitCode !== null) throw new Error(`finished before it could be killed:\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  run.child.kill('SIGKILL');
  await run.done;
}

describe.skipIf(!SLOW)('backup and restore under kill -9, throttling and a terminal', () => {
  let source: StrataProcess;
  let snapshot: string;
  let total: number;

  beforeAll(async () => {
    source = await startStrata({ args: ['--retentionPeriod=5y'] });
    await ingestSpread(source.url, { months: 24, seriesCount: 100, points: 400 });
    snapshot = ((await (await fetch(`${source.url}/snapshot/create`)).json()) as { snapshot: string }).snapshot;
    const info = JSON.parse(readFileSync(join(source.dataDir, 'snapshots', snapshot, 'snapshot.json'), 'utf8')) as {
      files: { size: number; sha256: string }[];
    };
    total = [...new Map(info.files.map((f) => [f.sha256, f.size])).values()].reduce((a, b) => a + b, 0);
  }, 120_000);

  afterAll(async () => {
    await source?.stop();
  });

  it('a backup killed with -9 at about 50% resumes, re-uploading at most ~55% of the data, and then verifies', async () => {
    expect(total).toBeGreaterThan(4_000_000);
    const repo = tempDir('strata-repo-kill-');
    const args = ['backup', `-storageDataPath=${source.dataDir}`, `-snapshotName=${snapshot}`, `-dst=fs://${repo}/b`, '-concurrency=1', '-progress=json'];
    const first = startCli([...args, `-maxBytesPerSecond=${RATE}`]);
    await killAt(first, () => treeBytes(join(repo, 'objects')), total * 0.5);
    expect(existsSync(join(repo, 'b', 'backup_complete.ignore'))).toBe(false);
    const rerun = await cli(args);
    expect(rerun.code).toBe(0);
    const s = summaryOf(rerun.stdout);
    expect(s.bytesTransferred + s.bytesReused).toBe(total);
    expect(s.bytesTransferred).toBeLessThanOrEqual(total * 0.55);
    expect((await cli(['verify', `-src=fs://${repo}/b`, '-level=full'])).code).toBe(0);
  });

  it('a restore killed with -9 at about 50% leaves the old data startable, and a rerun fetches at most ~55% of it', async () => {
    const repo = tempDir('strata-repo-restore-');
    expect((await cli(['backup', `-storageDataPath=${source.dataDir}`, `-snapshotName=${snapshot}`, `-dst=fs://${repo}/b`, '-progress=none'])).code).toBe(0);
    const target = join(tempDir('strata-restore-kill-'), 'data');
    const old = await startStrata({ dataDir: target });
    await fetch(`${old.url}/api/v1/import/prometheus`, { method: 'POST', body: 'old_metric{a="1"} 42\n' });
    await old.stop();
    const args = ['restore', `-src=fs://${repo}/b`, `-storageDataPath=${target}`, '-force', '-concurrency=1', '-progress=json'];
    const first = startCli([...args, `-maxBytesPerSecond=${RATE}`]);
    const staging = join(target, '..', '.data.restore-staging');
    await killAt(first, () => treeBytes(staging), total * 0.5);

    const again = await startStrata({ dataDir: target });
    try {
      const r = await fetch(`${again.url}/api/v1/export?match[]=old_metric`);
      expect(await r.text()).toContain('"values":[42]');
    } finally {
      await again.stop();
    }
    const rerun = await cli(args);
    expect(rerun.code).toBe(0);
    const s = summaryOf(rerun.stdout);
    expect(s.bytesTransferred).toBeLessThanOrEqual(total * 0.55);
    expect((await cli(['verify', `-storageDataPath=${target}`, '-level=full'])).code).toBe(0);
    const restored = await startStrata({ dataDir: target, args: ['--retentionPeriod=5y'] });
    try {
      expect((await exportAll(restored.url, 'spread_metric')).size).toBe(100);
      expect(await (await fetch(`${restored.url}/api/v1/export?match[]=old_metric`)).text()).toBe('');
    } finally {
      await restored.stop();
    }
  });

  it('-maxBytesPerSecond holds the rate within ±20%', async () => {
    const repo = tempDir('strata-repo-rate-');
    const b = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshotName=${snapshot}`,
      `-dst=fs://${repo}/b`,
      `-maxBytesPerSecond=${RATE}`,
      '-progress=json',
    ]);
    expect(b.code).toBe(0);
    const s = summaryOf(b.stdout);
    const rate = s.bytesTransferred / s.seconds;
    expect(rate).toBeGreaterThan(RATE * 0.8);
    expect(rate).toBeLessThan(RATE * 1.2);
  });

  it.skipIf(!hasTmux)('in a terminal (tmux) a progress bar shows bytes, rate and ETA', async () => {
    const repo = tempDir('strata-repo-tty-');
    const sock = `strata-test-${process.pid}`;
    const session = 'backup';
    const out = join(repo, 'exit-code');
    const cmd = `${process.execPath} ${CLI} backup -storageDataPath=${source.dataDir} -snapshotName=${snapshot} -dst=fs://${repo}/b -maxBytesPerSecond=${RATE}; echo $? > ${out}; sleep 60`;
    execFileSync('tmux', ['-L', sock, 'new-session', '-d', '-s', session, '-x', '160', '-y', '10', cmd]);
    try {
      let screen = '';
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300));
        screen = execFileSync('tmux', ['-L', sock, 'capture-pane', '-p', '-t', session]).toString();
        if (/backup \[#+\.+\]\s+\d+% [\d.]+ (B|KiB|MiB) \/ [\d.]+ MiB [\d.]+ (B|KiB|MiB)\/s ETA \d+s/.test(screen)) break;
      }
      expect(screen).toMatch(/backup \[#+\.+\]\s+\d+% [\d.]+ (B|KiB|MiB) \/ [\d.]+ MiB [\d.]+ (B|KiB|MiB)\/s ETA \d+s/);
      while (!existsSync(out) && Date.now() < deadline + 20_000) await new Promise((r) => setTimeout(r, 300));
      expect(readFileSync(out, 'utf8').trim()).toBe('0');
      screen = execFileSync('tmux', ['-L', sock, 'capture-pane', '-p', '-t', session]).toString();
      expect(screen).toMatch(/backup \[#{30}\] 100%/);
      expect(screen).toMatch(/backup done: \d+ files/);
    } finally {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
    }
  });
});

/**
 * Backup, restore and verify through the real CLI against real servers, to an fs:// repository:
 * the round trip under steady ingestion, corruption and missing files, incremental backups,
 * the safety refusals, progress output and prune/gc.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from '../e2e/client.js';
import { cli, summaryOf } from './cli.js';
import { exportAll, HOUR, ingest, sha256Of, valueAt } from './helpers.js';

const start = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;

/** Every file under `dir` with its sha256, to show a directory did not change. */
function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = sha256Of(join(dir, r));
    }
  };
  walk('');
  return out;
}

function objectFiles(repo: string): string[] {
  const out: string[] = [];
  const root = join(repo, 'objects');
  for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) out.push(join(root, d, f));
  return out;
}

describe('backup and restore to fs://', () => {
  let source: StrataProcess;
  let repo: string;
  const acked: { s: number; t: number }[] = [];

  beforeAll(async () => {
    source = await startStrata({ args: ['--retentionPeriod=1y'] });
    repo = tempDir('strata-repo-');
    await ingest(source.url, { batches: 8, seriesCount: 100, points: 30, start });
  });

  afterAll(async () => {
    await source?.stop();
  });

  it('round trip while ingesting: every sample acknowledged before the snapshot comes back, and every series in the parts resolves in the index', async () => {
    let writing = true;
    let batch = 0;
    const writer = (async () => {
      while (writing) {
        const t = start + 4 * HOUR + batch * 1000;
        const body = Array.from({ length: 20 }, (_, s) => series('live_metric', { s: String(s) }, [t], [valueAt(s, t)]));
        const r = await writeV1(source.url, body);
        if (r.status === 204) for (let s = 0; s < 20; s++) acked.push({ s, t });
        batch++;
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const ackedBefore = acked.length;
    const b = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=fs://${repo}/first`,
      '-progress=json',
    ]);
    writing = false;
    await writer;
    expect(b.stderr).not.toContain('strata:');
    expect(b.code).toBe(0);
    const summary = summaryOf(b.stdout);
    expect(summary.files).toBeGreaterThan(5);
    expect(existsSync(join(repo, 'first', 'backup_complete.ignore'))).toBe(true);
    // The snapshot the backup took was deleted afterwards.
    expect(readdirSync(join(source.dataDir, 'snapshots'))).toEqual([]);

    const target = join(tempDir('strata-restore-'), 'data');
    const r = await cli(['restore', `-src=fs://${repo}/first`, `-storageDataPath=${target}`, '-progress=none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = await cli(['verify', `-src=fs://${repo}/first`, '-level=full']);
    expect(v.stdout).toContain('verify ok');
    expect(v.code).toBe(0);
    const restored = await startStrata({ dataDir: target });
    try {
      const live = await exportAll(restored.url, 'live_metric');
      const missing = acked.slice(0, ackedBefore).filter(({ s, t }) => live.get(String(s))?.get(t) !== valueAt(s, t));
      expect(ackedBefore).toBeGreaterThan(0);
      expect(missing).toEqual([]);
      const old = await exportAll(restored.url);
      expect(old.size).toBe(100);
      expect(old.get('7')!.get(start + 10_000)).toBe(valueAt(7, start + 10_000));
    } finally {
      await restored.stop();
    }
    const full = await cli(['verify', `-storageDataPath=${target}`, '-level=full']);
    expect(full.code).toBe(0);
  });

  it('a second backup after new data uploads only what changed and says how much it reused', async () => {
    // Merges still pending from the earlier ingestion would rewrite parts between the two backups.
    expect((await fetch(`${source.url}/internal/force_merge`)).status).toBe(200);
    const first = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=fs://${repo}/daily`,
      '-progress=json',
    ]);
    expect(first.code).toBe(0);
    // Into another month's partition, so no merge of the new part can rewrite the old ones.
    await ingest(source.url, { name: 'new_metric', batches: 1, seriesCount: 10, points: 5, start: start - 40 * 24 * HOUR });
    const second = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=fs://${repo}/daily`,
      '-progress=json',
    ]);
    expect(second.code).toBe(0);
    const s = summaryOf(second.stdout);
    expect(s.bytesReused).toBeGreaterThan(0);
    expect(s.filesTransferred).toBeLessThan(s.files);
    expect(second.stdout).toMatch(/"bytesReused":\d+/);
    // New part files, and the index copy; nothing else.
    expect(s.filesTransferred).toBeLessThanOrEqual(8);
  });

  it('verify -level=full names a file with one flipped byte with both hashes (exit 3); restore exits 3 and leaves the target unchanged', async () => {
    const copy = tempDir('strata-repo-copy-');
    const b = await cli([
      'backup',
      `-storageDataPath=${source.dataDir}`,
      `-snapshot.createURL=${source.url}/snapshot/create`,
      `-dst=fs://${copy}/b`,
      '-progress=none',
    ]);
    expect(b.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(copy, 'b', 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string; size: number }[] };
    const victim = manifest.files.find((f) => f.path.endsWith('values.bin') && f.size > 10)!;
    const objPath = join(copy, 'objects', victim.sha256.slice(0, 2), victim.sha256);
    const bytes = readFileSync(objPath);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(objPath, bytes);
    const got = sha256Of(objPath);

    const quick = await cli(['verify', `-src=fs://${copy}/b`, '-level=quick']);
    expect(quick.code).toBe(0);
    const v = await cli(['verify', `-src=fs://${copy}/b`, '-level=full']);
    expect(v.code).toBe(3);
    expect(v.stdout).toContain(`CORRUPT ${victim.path} expected=sha256:${victim.sha256} got=sha256:${got}`);

    const target = tempDir('strata-target-');
    await ingestInto(target);
    const before = treeHashes(target);
    const r = await cli(['restore', `-src=fs://${copy}/b`, `-storageDataPath=${target}`, '-force', '-progress=none']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`CORRUPT ${victim.path}`);
    expect(treeHashes(target)).toEqual(before);
  });

  it('verify -level=quick exits 3 on a missing file; restore refuses a backup without its marker unless -skipBackupCompleteCheck', async () => {
    const copy = tempDir('strata-repo-copy-');
    expect(
      (
        await cli([
          'backup',
          `-storageDataPath=${source.dataDir}`,
          `-snapshot.createURL=${source.url}/snapshot/create`,
          `-dst=fs://${copy}/b`,
          '-progress=none',
        ])
      ).code,
    ).toBe(0);
    rmSync(join(copy, 'b', 'backup_complete.ignore'));
    const target = join(tempDir('strata-target-'), 'd');
    const refused = await cli(['restore', `-src=fs://${copy}/b`, `-storageDataPath=${target}`, '-progress=none']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('backup_complete.ignore');
    const forced = await cli(['restore', `-src=fs://${copy}/b`, `-storageDataPath=${target}`, '-skipBackupCompleteCheck', '-progress=none']);
    expect(forced.code).toBe(0);

    const victim = objectFiles(copy)[0]!;
    rmSync(victim);
    const v = await cli(['verify', `-src=fs://${copy}/b`, '-level=quick']);
    expect(v.code).toBe(3);
    expect(v.stdout).toMatch(/^MISSING \S+ object=objects\//m);
    expect(v.stdout).toMatch(/^INCOMPLETE b /m);
  });

  it('restore refuses a non-empty target without -force (exit 4)', async () => {
    const target = tempDir('strata-target-');
    writeFileSync(join(target, 'something'), 'x');
    const r = await cli(['restore', `-src=fs://${repo}/first`, `-storageDataPath=${target}`, '-progress=none']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('not empty');
  });

  it('restore onto the directory of a running server is refused with exit 4, naming flock.lock', async () => {
    const r = await cli(['restore', `-src=fs://${repo}/first`, `-storageDataPath=${source.dataDir}`, '-force', '-progress=none']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('flock.lock');
  });

  it('the server refuses to start on a half-restored directory', async () => {
    const dir = tempDir('strata-half-');
    writeFileSync(join(dir, 'restore-in-progress.json'), '{"phase":"move-in","staging":"/nonexistent"}\n');
    await expect(startStrata({ dataDir: dir })).rejects.toThrow(/restore-in-progress\.json/);
  });

  it('a restore killed during its swap is finished by running it again', async () => {
    const restoredElsewhere = join(tempDir('strata-restored-'), 'd');
    expect((await cli(['restore', `-src=fs://${repo}/first`, `-storageDataPath=${restoredElsewhere}`, '-progress=none'])).code).toBe(0);
    const parent = tempDir('strata-swap-');
    const target = join(parent, 'data');
    await ingestInto(target);
    // The state a kill right after the marker was written leaves: all verified files staged.
    const staging = join(parent, '.data.restore-staging');
    cpSync(restoredElsewhere, staging, { recursive: true });
    writeFileSync(join(target, 'restore-in-progress.json'), JSON.stringify({ phase: 'move-out', staging }) + '\n');
    await expect(startStrata({ dataDir: target })).rejects.toThrow(/did not finish/);
    const r = await cli(['restore', `-src=fs://${repo}/first`, `-storageDataPath=${target}`, '-progress=none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(staging)).toBe(false);
    expect(readdirSync(target).sort()).toEqual(readdirSync(restoredElsewhere).sort());
    const s = await startStrata({ dataDir: target });
    try {
      expect((await exportAll(s.url)).size).toBe(100);
      expect(await (await fetch(`${s.url}/api/v1/export?match[]=target_metric`)).text()).toBe('');
    } finally {
      await s.stop();
    }
  });

  it('without a terminal, progress is JSON lines on stderr and the summary a JSON line on stdout', async () => {
    const copy = tempDir('strata-repo-copy-');
    const b = await cli(['backup', `-storageDataPath=${source.dataDir}`, `-snapshot.createURL=${source.url}/snapshot/create`, `-dst=fs://${copy}/b`]);
    expect(b.code).toBe(0);
    const lines = b.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; bytesDone: number; bytesTotal: number });
    expect(lines[0]!.event).toBe('start');
    expect(lines.at(-1)!.event).toBe('done');
    expect(lines.at(-1)!.bytesDone).toBe(lines.at(-1)!.bytesTotal);
    expect(summaryOf(b.stdout).files).toBeGreaterThan(0);
  });

  it('strata snapshot create|list|delete|delete-all talk to the server, with its admin key', async () => {
    const guarded = await startStrata({ args: ['--adminAuthKey=k3y'] });
    try {
      const url = `-url=${guarded.url}`;
      const denied = await cli(['snapshot', 'create', url]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain('401');
      const a = await cli(['snapshot', 'create', url, '-authKey=k3y']);
      expect(a.code).toBe(0);
      const name = a.stdout.trim();
      expect(name).toMatch(/^\d{14}-[0-9A-F]{16}$/);
      expect((await cli(['snapshot', 'create', url, '-authKey=k3y'])).code).toBe(0);
      expect((await cli(['snapshot', 'list', url, '-authKey=k3y'])).stdout.trim().split('\n')).toHaveLength(2);
      expect((await cli(['snapshot', 'delete', name, url, '-authKey=k3y'])).code).toBe(0);
      const again = await cli(['snapshot', 'delete', name, url, '-authKey=k3y']);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('404');
      expect((await cli(['snapshot', 'delete-all', url, '-authKey=k3y'])).code).toBe(0);
      expect((await cli(['snapshot', 'list', url, '-authKey=k3y'])).stdout).toBe('');
    } finally {
      await guarded.stop();
    }
  });

  it('verify checks a live data directory; a damaged column file is named with both CRC32s', async () => {
    const live = await cli(['verify', `-storageDataPath=${source.dataDir}`, '-level=full']);
    expect(live.stdout).toContain('verify ok');
    expect(live.code).toBe(0);
    const dir = tempDir('strata-damaged-');
    await ingestInto(dir);
    const manifest = readdirSync(join(dir, 'data')).find((n) => /^\d{4}_\d{2}$/.test(n))!;
    const part = (JSON.parse(readFileSync(join(dir, 'data', manifest, 'manifest.json'), 'utf8')) as { parts: string[] }).parts[0]!;
    const file = join(dir, 'data', manifest, part, 'values.bin');
    const bytes = readFileSync(file);
    bytes[0] ^= 0xff;
    writeFileSync(file, bytes);
    const quick = await cli(['verify', `-storageDataPath=${dir}`, '-level=quick']);
    expect(quick.code).toBe(0);
    const full = await cli(['verify', `-storageDataPath=${dir}`, '-level=full']);
    expect(full.code).toBe(3);
    expect(full.stdout).toMatch(new RegExp(`^CORRUPT data/${manifest}/${part}/values.bin expected=crc32:[0-9a-f]{8} got=crc32:[0-9a-f]{8}$`, 'm'));
  });

  it('verify -snapshotName checks a snapshot in the data directory against its snapshot.json', async () => {
    const snap = ((await (await fetch(`${source.url}/snapshot/create`)).json()) as { snapshot: string }).snapshot;
    const ok = await cli(['verify', `-storageDataPath=${source.dataDir}`, `-snapshotName=${snap}`, '-level=full']);
    expect(ok.stdout).toContain('verify ok');
    expect(ok.code).toBe(0);
    const info = JSON.parse(readFileSync(join(source.dataDir, 'snapshots', snap, 'snapshot.json'), 'utf8')) as { files: { path: string }[] };
    const gone = info.files.find((f) => f.path.endsWith('/index.bin'))!.path;
    rmSync(join(source.dataDir, 'snapshots', snap, gone));
    const bad = await cli(['verify', `-storageDataPath=${source.dataDir}`, `-snapshotName=${snap}`, '-level=quick']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`MISSING ${gone}`);
    await fetch(`${source.url}/snapshot/delete?snapshot=${snap}`);
  });

  it('prune keeps what its rules and locks say; gc then removes only unreferenced files and what is left verifies', async () => {
    const prunable = tempDir('strata-repo-prune-');
    const snap = (await (await fetch(`${source.url}/snapshot/create`)).json()) as { snapshot: string };
    // Backups every 8 hours over two and a half days, oldest first, with a clock override.
    const base = Date.UTC(2026, 0, 10, 0, 0, 0);
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      const name = `b${i}`;
      names.push(name);
      const at = new Date(base + i * 8 * HOUR).toISOString();
      const r = await cli(
        ['backup', `-storageDataPath=${source.dataDir}`, `-snapshotName=${snap.snapshot}`, `-dst=fs://${prunable}/${name}`, '-progress=none'],
        { STRATA_BACKUP_TIME: at },
      );
      expect(r.code).toBe(0);
    }
    expect((await cli(['backup', 'lock', `-dst=fs://${prunable}/b0`])).code).toBe(0);
    const dry = await cli(['backup', 'prune', `-dst=fs://${prunable}`, '-keepLastHourly=2', '-keepLastDaily=2', '-dryRun']);
    expect(dry.stdout).toContain('would delete\tb1');
    const p = await cli(['backup', 'prune', `-dst=fs://${prunable}`, '-keepLastHourly=2', '-keepLastDaily=2']);
    expect(p.code).toBe(0);
    const kept = readdirSync(prunable)
      .filter((n) => n !== 'objects' && existsSync(join(prunable, n, 'manifest.json')))
      .sort();
    // Hourly: b6, b5. Daily: b6 (day 3), b5 (newest of day 2: 08:00 and 16:00 → b5). Locked: b0.
    expect(kept).toEqual(['b0', 'b5', 'b6']);
    const list = await cli(['backup', 'list', `-dst=fs://${prunable}`]);
    expect(list.stdout).toMatch(/^b0\t2026-01-10T00:00:00.000Z\t\d+ files\t.*\tcomplete\tlocked$/m);

    // Unreferenced objects go, referenced stay.
    const orphan = join(prunable, 'objects', 'ff', 'f'.repeat(64));
    mkdirSync(join(prunable, 'objects', 'ff'), { recursive: true });
    writeFileSync(orphan, 'orphan');
    const before = objectFiles(prunable).length;
    const gc = await cli(['backup', 'gc', `-dst=fs://${prunable}`]);
    expect(gc.code).toBe(0);
    expect(existsSync(orphan)).toBe(false);
    expect(objectFiles(prunable).length).toBe(before - 1);
    for (const n of ['b0', 'b6']) expect((await cli(['verify', `-src=fs://${prunable}/${n}`, '-level=full'])).code).toBe(0);
    await fetch(`${source.url}/snapshot/delete?snapshot=${snap.snapshot}`);
  });
});

async function ingestInto(dir: string): Promise<void> {
  const s = await startStrata({ dataDir: dir });
  try {
    await ingest(s.url, { name: 'target_metric', batches: 1, seriesCount: 5, points: 5, start });
  } finally {
    await s.stop();
  }
  appendFileSync(join(dir, 'marker.txt'), 'old data\n');
  expect(statSync(dir).isDirectory()).toBe(true);
}

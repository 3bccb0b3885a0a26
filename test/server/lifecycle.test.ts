import { describe, expect, it } from 'vitest';
import { runCli, startStrata, tempDir } from '../helpers/strata-process.js';

describe('strata serve lifecycle', () => {
  it('serves /health with 200 once started', async () => {
    const s = await startStrata();
    try {
      const r = await fetch(`${s.url}/health`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('OK');
    } finally {
      await s.stop();
    }
  });

  it('exits 0 on SIGTERM after a graceful shutdown', async () => {
    const s = await startStrata();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(s.stderr()).toContain('"msg":"stopped"');
  });

  it('exits 0 on SIGINT', async () => {
    const s = await startStrata();
    expect(await s.stop('SIGINT')).toBe(0);
  });

  it('refuses a second server on the same data dir, naming the dir and the holder', async () => {
    const s = await startStrata();
    try {
      const second = await runCli(['serve', `--storageDataPath=${s.dataDir}`, '--httpListenAddr=127.0.0.1:0']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(s.dataDir);
      expect(second.stderr).toContain(`pid ${s.child.pid}`);
    } finally {
      await s.stop();
    }
  });

  it('takes over the lock left by a process killed with SIGKILL', async () => {
    const dataDir = tempDir();
    const first = await startStrata({ dataDir });
    await first.stop('SIGKILL');
    const second = await startStrata({ dataDir });
    try {
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('answers ready and healthy probes', async () => {
    const s = await startStrata();
    try {
      expect((await fetch(`${s.url}/-/ready`)).status).toBe(200);
      expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('strata command line', () => {
  it('exits 2 with one line naming an unknown flag', async () => {
    const r = await runCli(['serve', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--bogus');
  });

  it('exits 2 with one line naming a flag with a bad value and why', async () => {
    const r = await runCli(['serve', '--retentionPeriod=forever']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--retentionPeriod');
    expect(r.stderr).toContain('forever');
  });

  it('rejects --wal.fsync values other than always, interval, never', async () => {
    const r = await runCli(['serve', '--wal.fsync=sometimes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('always, interval, never');
  });

  it('lists every serve flag with its default in strata --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--storageDataPath',
      '--retentionPeriod',
      '--dedup.minScrapeInterval',
      '--wal.fsync',
      '--search.lookbackDelta',
      '--httpAuth.username',
      '--adminAuthKey',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('(default: ":8428")');
  });

  it('lists every flag with its default in strata serve --help', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--maxInsertRequestSize <size>');
    expect(r.stdout).toContain('(default: "32MB")');
  });

  it('accepts VictoriaMetrics-style single-dash flags', async () => {
    const r = await runCli(['serve', '-retentionPeriod=nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--retentionPeriod');
  });
});

/**
 * Storage faults over the real server, with real mounts (root only; skipped otherwise): a full
 * disk, a read-only data directory, flushes that keep failing, a read-only directory after a
 * kill -9, and a damaged WAL tail. The server refuses writes it cannot keep (503 naming why, not
 * ready), says so in /metrics and the log, and recovers by itself; start-up errors name the cause.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStrata, tempDir, type StrataProcess } from '../helpers/strata-process.js';
import { series, writeV1 } from './client.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = tempDir('strata-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROOT = canMount();
const mounts: string[] = [];
let server: StrataProcess | null = null;

function mount(args: string[], target: string): void {
  execFileSync('mount', [...args, target]);
  mounts.push(target);
}

function unmount(target: string): void {
  execFileSync('umount', ['-l', target]);
  const i = mounts.lastIndexOf(target);
  if (i >= 0) mounts.splice(i, 1);
}

function bindReadOnly(dir: string): void {
  mount(['--bind', dir], dir);
  execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
}

afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
  while (mounts.length > 0) {
    try {
      unmount(mounts[mounts.length - 1]!);
    } catch {
      mounts.pop();
    }
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

let seq = 0;
/** One sample of a fresh series; the status the server answered. */
async function writeOne(url: string): Promise<{ status: number; text: string; name: string }> {
  const name = `fault_${seq++}`;
  const now = Date.now();
  try {
    const r = await writeV1(url, [series(name, {}, [now], [seq])]);
    return { status: r.status, text: await r.text(), name };
  } catch (e) {
    // A dropped connection here means the server died or hung up: show what it said last.
    throw new Error(
      `write failed: ${(e as Error).message}; server exit ${server?.child.exitCode} ${server?.child.signalCode}; stderr tail:\n${server?.stderr().slice(-4000)}`,
    );
  }
}

async function ready(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`${url}/-/ready`);
  return { status: r.status, text: await r.text() };
}

async function metric(url: string, line: RegExp): Promise<boolean> {
  return line.test(await (await fetch(`${url}/metrics`)).text());
}

async function exportedCount(url: string): Promise<number> {
  const r = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': '{__name__=~"fault_.*"}' })}`);
  return (await r.text()).split('\n').filter((l) => l !== '').length;
}

describe.skipIf(!ROOT)('storage faults', () => {
  it('below --storage.minFreeDiskSpaceBytes writes get 503 read-only, readiness says why, and both recover', async () => {
    const mnt = tempDir('strata-full-');
    mount(['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs'], mnt);
    server = await startStrata({ dataDir: join(mnt, 'd'), args: ['--storage.minFreeDiskSpaceBytes=16MB'] });
    const acked: string[] = [];
    const w = await writeOne(server.url);
    expect(w.status).toBe(204);
    acked.push(w.name);
    execFileSync('fallocate', ['-l', '36m', join(mnt, 'filler')]);
    const refused = await waitFor('a refused write', async () => {
      const r = await writeOne(server!.url);
      if (r.status === 204) acked.push(r.name);
      return r.status === 503 ? r : undefined;
    });
    expect(refused.text).toMatch(/^read-only: free disk space below 16000000 bytes \(--storage.minFreeDiskSpaceBytes\)/);
    const rd = await ready(server.url);
    expect(rd.status).toBe(503);
    expect(rd.text).toContain('free disk space below');
    expect(await metric(server.url, /^strata_read_only\{reason="low_disk_space"\} 1$/m)).toBe(true);
    expect(server.stderr()).toContain('writes refused until the cause is gone');
    rmSync(join(mnt, 'filler'));
    await waitFor('readiness', async () => ((await ready(server!.url)).status === 200 ? true : undefined));
    const again = await writeOne(server.url);
    expect(again.status).toBe(204);
    acked.push(again.name);
    expect(await exportedCount(server.url)).toBe(acked.length);
  });

  it('a disk that fills up anyway (check off) answers 503 naming the cause, never 500, and recovers', async () => {
    const mnt = tempDir('strata-enospc-');
    mount(['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs'], mnt);
    server = await startStrata({ dataDir: join(mnt, 'd'), args: ['--storage.minFreeDiskSpaceBytes=0'] });
    execFileSync('fallocate', ['-l', '7m', join(mnt, 'filler')]);
    // Many new series: the index and the WAL both need room the disk no longer has.
    const body = Array.from({ length: 20_000 }, (_, i) => `fault_full{n="${i}",pad="${'p'.repeat(64)}"} 1`).join('\n') + '\n';
    const statuses = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${server.url}/api/v1/import/prometheus`, { method: 'POST', body });
      statuses.add(r.status);
      if (r.status !== 204) expect(await r.text()).toMatch(/^cannot store the samples now: .*(Input\/output error|ENOSPC|No space left)/);
    }
    expect(statuses.has(500)).toBe(false);
    expect(statuses.has(503)).toBe(true);
    rmSync(join(mnt, 'filler'));
    const r = await fetch(`${server.url}/api/v1/import/prometheus`, { method: 'POST', body });
    expect(r.status).toBe(204);
  });

  it('a data directory turned read-only refuses writes with the cause and recovers when it is writable again', async () => {
    const dataDir = tempDir('strata-ro-');
    server = await startStrata({ dataDir, args: ['--flushInterval=500ms'] });
    const first = await writeOne(server.url);
    expect(first.status).toBe(204);
    mkdirSync(join(dataDir, 'data'), { recursive: true });
    bindReadOnly(join(dataDir, 'data'));
    const refused = await waitFor('a refused write', async () => {
      const r = await writeOne(server!.url);
      return r.status === 503 ? r : undefined;
    });
    expect(refused.text).toContain(`read-only: the directory ${join(dataDir, 'data')} is on a read-only file system`);
    expect((await ready(server.url)).status).toBe(503);
    expect(await metric(server.url, /^strata_read_only\{reason="not_writable"\} 1$/m)).toBe(true);
    unmount(join(dataDir, 'data'));
    await waitFor('readiness', async () => ((await ready(server!.url)).status === 200 ? true : undefined));
    expect((await writeOne(server.url)).status).toBe(204);
    expect(server.stderr()).toContain('writes accepted again');
  });

  it('flushes that keep failing stop writes until a flush completes again', async () => {
    // Few inodes: the WAL keeps appending to its open segment, but a flush needs new files.
    const mnt = tempDir('strata-inodes-');
    mount(['-t', 'tmpfs', '-o', 'size=64m,nr_inodes=400', 'tmpfs'], mnt);
    server = await startStrata({ dataDir: join(mnt, 'd'), args: ['--flushInterval=300ms', '--storage.minFreeDiskSpaceBytes=0'] });
    expect((await writeOne(server.url)).status).toBe(204);
    const fill = join(mnt, 'fill');
    mkdirSync(fill);
    for (let i = 0; ; i++) {
      try {
        writeFileSync(join(fill, String(i)), '');
      } catch {
        break;
      }
    }
    const refused = await waitFor('a refused write', async () => {
      const r = await writeOne(server!.url);
      return r.status === 503 ? r : undefined;
    });
    if (!/^read-only: flushes to disk keep failing/.test(refused.text)) console.log(server.stderr());
    expect(refused.text).toMatch(/^read-only: flushes to disk keep failing \(last error: .*ENOSPC/);
    expect(await metric(server.url, /^strata_read_only\{reason="flushes_failing"\} 1$/m)).toBe(true);
    expect((await ready(server.url)).status).toBe(503);
    rmSync(fill, { recursive: true, force: true });
    await waitFor('readiness', async () => ((await ready(server!.url)).status === 200 ? true : undefined));
    expect((await writeOne(server.url)).status).toBe(204);
  });

  it('after a kill -9, a read-only data directory is named as the reason start-up fails', async () => {
    const dataDir = tempDir('strata-ro-start-');
    server = await startStrata({ dataDir });
    expect((await writeOne(server.url)).status).toBe(204);
    await server.stop('SIGKILL');
    server = null;
    bindReadOnly(dataDir);
    const err = await startStrata({ dataDir }).then(
      (s) => {
        server = s;
        return '';
      },
      (e: Error) => e.message,
    );
    expect(err).toContain('read-only file system');
    expect(err).not.toContain('keeps changing hands');
  });

  it('a damaged WAL tail is logged at WARN with the segment, the offset and the bytes dropped', async () => {
    const dataDir = tempDir('strata-wal-tail-');
    server = await startStrata({ dataDir, args: ['--flushInterval=1h', '--wal.fsync=always'] });
    expect((await writeOne(server.url)).status).toBe(204);
    await server.stop('SIGKILL');
    const walDir = join(dataDir, 'wal');
    const segment = readdirSync(walDir)
      .filter((f) => f.endsWith('.wal'))
      .sort()
      .pop()!;
    appendFileSync(join(walDir, segment), Buffer.from('torn frame: not a WAL record'));
    server = await startStrata({ dataDir });
    const line = server
      .stderr()
      .split('\n')
      .find((l) => l.includes('damaged tail'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!) as { level: string; segment: string; offset: number; bytesDropped: number };
    expect(entry.level).toBe('warn');
    expect(entry.segment).toBe(join(walDir, segment));
    expect(entry.bytesDropped).toBe(28);
    expect(entry.offset).toBeGreaterThan(0);
    expect(await exportedCount(server.url)).toBe(1);
  });
});

/** Prometheus 2.x (Debian package `prometheus`) with the remote-write receiver enabled. */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, versionOf } from './install.js';
import { dirBytes } from './process.js';
import { ServerTarget } from './server-target.js';
import type { PersistResult, TargetId } from './target.js';

export class PrometheusTarget extends ServerTarget {
  readonly id: TargetId = 'prometheus';
  readonly label = 'Prometheus';
  protected readonly readyPath = '/-/ready';
  private bin = '';

  async prepare(opts: { install: boolean }): Promise<string | null> {
    const { path, reason } = ensureBinary('prometheus', 'prometheus', opts.install);
    if (!path) return reason;
    this.bin = path;
    this.version = versionOf(path, ['--version'], 'prometheus');
    return null;
  }

  protected command(dataDir: string, port: number): { cmd: string; args: string[] } {
    const config = join(dataDir, '..', `prometheus-${port}.yml`);
    // No scrape jobs: the only data is what the benchmark writes.
    writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
    return {
      cmd: this.bin,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--web.enable-admin-api',
        '--storage.tsdb.retention.time=1y',
        '--log.level=warn',
      ],
    };
  }

  async makeQueryable(): Promise<void> {
    // The head block is queryable as soon as a write is acknowledged.
  }

  async persist(): Promise<PersistResult> {
    // A snapshot writes the head out as a compacted block, so the WAL does not count.
    const r = await this.call('/api/v1/admin/tsdb/snapshot', 'POST');
    const parsed = JSON.parse(r.body.toString('utf8')) as { data?: { name?: string } };
    const name = parsed.data?.name;
    if (!name) throw new Error(`snapshot response has no name: ${r.body.toString('utf8').slice(0, 200)}`);
    const dir = join(this.dataDir, 'snapshots', name);
    // Each block holds one `index` file (postings, symbols, series) next to its chunks.
    let indexBytes = 0;
    for (const block of readdirSync(dir)) {
      const idx = join(dir, block, 'index');
      if (existsSync(idx)) indexBytes += statSync(idx).size;
    }
    return { diskBytes: dirBytes(dir), indexBytes, note: 'snapshot dir (head compacted, no WAL)' };
  }
}

/**
 * A real Prometheus (the Debian package's 2.42) as a remote-write receiver on loopback, with an
 * empty configuration and its own data directory, for the forwarding tests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export interface PrometheusReceiver {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startPrometheusReceiver(extraArgs: readonly string[] = []): Promise<PrometheusReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (prom.exitCode === null) {
      const exited = new Promise((r) => prom.on('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/-/ready`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (Date.now() > end || prom.exitCode !== null) {
      await stop();
      throw new Error('Prometheus did not become ready within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop };
}

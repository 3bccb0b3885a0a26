/**
 * Starts the real server (`node dist/cli.js serve`) as a child process on a free port and a temp
 * data dir, for end-to-end tests over real HTTP. `npm test` builds dist/ before vitest runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

export interface StrataProcess {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cli?: string;
  scheme?: 'http' | 'https';
}

export function tempDir(prefix = 'strata-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startStrata(opts: StartOptions = {}): Promise<StrataProcess> {
  const cli = opts.cli ?? CLI;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' (npm test does it first)`);
  const dataDir = opts.dataDir ?? tempDir();
  const child = spawn(process.execPath, [cli, 'serve', `--storageDataPath=${dataDir}`, '--httpListenAddr=127.0.0.1:0', ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30s:\n${err}`)), 30_000);
    child.stderr!.on('data', (s: string) => {
      err += s;
      const m = /"msg":"started","listen":"https?:\/\/[^"]*:(\d+)"/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${err}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    url: `${opts.scheme ?? 'http'}://127.0.0.1:${port}`,
    port,
    dataDir,
    child,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI to completion; for flag errors and other short-lived invocations. */
export function runCli(args: string[], cli = CLI): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

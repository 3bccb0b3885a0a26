/** Runs `strata <args>` (dist/cli.js) as a child process: exit code, output, and a handle to kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../helpers/strata-process.js';

export interface CliRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stdout(): string;
  stderr(): string;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startCli(args, env).done;
}

export interface BackupSummary {
  op: string;
  files: number;
  filesTransferred: number;
  bytesTransferred: number;
  bytesReused: number;
  seconds: number;
}

/** The `{"summary":…}` line a json-progress run prints on stdout. */
export function summaryOf(stdout: string): BackupSummary {
  const line = stdout.split('\n').find((l) => l.startsWith('{"summary"'));
  if (!line) throw new Error(`no summary line in:\n${stdout}`);
  return (JSON.parse(line) as { summary: BackupSummary }).summary;
}

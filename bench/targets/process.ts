/**
 * What the harness needs from the OS, uniformly for every target: spawn a server, stop it by PID,
 * read its CPU time and RSS from /proc, measure a directory, pick a free loopback port.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, existsSync, lstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, delimiter } from 'node:path';

let clockTicks = 0;
/** Kernel clock ticks per second (USER_HZ), for /proc/<pid>/stat CPU times. */
export function clockTicksPerSecond(): number {
  if (clockTicks) return clockTicks;
  try {
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

export interface ProcStats {
  /** User + system CPU seconds of the process, all threads. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** High-water mark of RSS since the process started. */
  readonly peakRssBytes: number;
}

export function readProcStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses; fields after the last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { cpuSeconds: (utime + stime) / clockTicksPerSecond(), rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Apparent size of every regular file under dir, skipping top-level entries named in `exclude`. */
export function dirBytes(dir: string, exclude: readonly string[] = []): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  const walk = (d: string, top: boolean): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return; // removed while we walked it (a merge finished): it no longer counts
    }
    for (const name of names) {
      if (top && exclude.includes(name)) continue;
      const p = join(d, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, false);
      else if (st.isFile()) total += st.size;
    }
  };
  walk(dir, true);
  return total;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Absolute path of an executable found on PATH (plus the sbin dirs Debian uses), or null. */
export function findExecutable(name: string): string | null {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // not here, or not executable
    }
  }
  return null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  exited(): boolean;
  exitCode(): number | null;
}

/** Starts a server with stdout/stderr going to a log file, so a chatty server never blocks on a pipe. */
export function spawnServer(command: string, args: readonly string[], logFile: string, cwd?: string, env?: Readonly<Record<string, string>>): ServerProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], cwd, detached: false, env: env ? { ...process.env, ...env } : process.env });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  let done = false;
  let code: number | null = null;
  child.once('exit', (c) => {
    done = true;
    code = c;
  });
  child.once('error', () => {
    done = true;
  });
  return { child, pid: child.pid, logFile, exited: () => done, exitCode: () => code };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after the grace period; always by the PID we started. */
export async function stopServer(proc: ServerProcess, graceMs = 15_000): Promise<void> {
  if (proc.exited()) return;
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (!proc.exited() && Date.now() < deadline) await sleep(50);
  if (!proc.exited()) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    while (!proc.exited()) await sleep(20);
  }
}

/** The last lines of a server's log, for error messages that say why it did not come up. */
export function logTail(logFile: string, lines = 8): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export { sleep };

/** The parts every target shares: a spawned server process on a loopback port. */
import { httpRequest, waitHttpOk, type HttpResponse } from './http.js';
import { logTail, readProcStats, spawnServer, stopServer, type ProcStats, type ServerProcess } from './process.js';
import type { PersistResult, Target, TargetId } from './target.js';
import { Unsupported } from './target.js';

export abstract class ServerTarget implements Target {
  abstract readonly id: TargetId;
  abstract readonly label: string;
  readonly writePath: string = '/api/v1/write';
  readonly queryParams: Readonly<Record<string, string>> = {};
  version = 'unknown';
  protected proc: ServerProcess | null = null;
  protected port = 0;
  protected dataDir = '';

  abstract prepare(opts: { install: boolean }): Promise<string | null>;
  protected abstract command(dataDir: string, port: number): { cmd: string; args: string[]; cwd?: string; env?: Record<string, string> };
  /** Path answering 2xx once the server accepts requests. */
  protected abstract readonly readyPath: string;
  abstract makeQueryable(): Promise<void>;
  abstract persist(): Promise<PersistResult>;

  get pid(): number {
    if (!this.proc) throw new Error(`${this.label} is not running`);
    return this.proc.pid;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(dataDir: string, port: number, logFile: string): Promise<void> {
    this.dataDir = dataDir;
    this.port = port;
    const { cmd, args, cwd, env } = this.command(dataDir, port);
    this.proc = spawnServer(cmd, args, logFile, cwd, env);
    const proc = this.proc;
    try {
      await waitHttpOk(this.baseUrl + this.readyPath, 60_000, () => !proc.exited());
    } catch (e) {
      await this.stop();
      throw new Error(`${this.label} did not start: ${(e as Error).message}\n${logTail(logFile)}`);
    }
  }

  stats(): ProcStats {
    const proc = this.proc;
    if (proc && proc.exited()) {
      throw new Error(`${this.label} exited (code ${proc.exitCode()}) while being measured:\n${logTail(proc.logFile)}`);
    }
    return readProcStats(this.pid);
  }

  async stop(): Promise<void> {
    if (this.proc) await stopServer(this.proc);
    this.proc = null;
  }

  /** GET or POST an internal endpoint; a 404/405 means the target does not have it. */
  protected async call(path: string, method = 'GET', timeoutMs = 600_000): Promise<HttpResponse> {
    let r = await httpRequest(this.baseUrl + path, { method, timeoutMs });
    // Servers differ on which verb their internal endpoints take; try the other one once.
    if (r.status === 405) r = await httpRequest(this.baseUrl + path, { method: method === 'POST' ? 'GET' : 'POST', timeoutMs });
    if (r.status === 404 || r.status === 405 || r.status === 501) throw new Unsupported(`${method} ${path} returns ${r.status}`);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    return r;
  }
}

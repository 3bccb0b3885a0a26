/**
 * Peak RSS of a server during one phase. VmHWM only knows the whole life of the process, so the
 * sampler reads VmRSS every `periodMs` (and once at start and stop) and keeps the maximum.
 */
import { readFileSync } from 'node:fs';

function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process exited; the caller notices through its own checks
  }
}

export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    periodMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), periodMs);
    this.timer.unref();
  }

  private sample(): void {
    const r = rssBytes(this.pid);
    if (r > this.peak) this.peak = r;
  }

  /** Stops sampling; returns the peak in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

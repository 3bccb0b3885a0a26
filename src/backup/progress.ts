/**
 * Progress of a transfer: a bar with bytes, rate and ETA on a terminal, JSON lines (at start, at
 * least every 10 s, and at the end) otherwise, or nothing. Written to stderr; the summary goes to
 * stdout, as JSON in json mode.
 */
export type ProgressMode = 'auto' | 'bar' | 'json' | 'none';

export interface Summary {
  readonly op: string;
  readonly files: number;
  readonly filesTransferred: number;
  readonly bytesTransferred: number;
  readonly bytesReused: number;
  readonly seconds: number;
}

const JSON_INTERVAL_MS = 10_000;
const BAR_INTERVAL_MS = 250;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const t = Math.round(s);
  return t >= 3600
    ? `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`
    : t >= 60
      ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`
      : `${t}s`;
}

export class Progress {
  private readonly mode: 'bar' | 'json' | 'none';
  private done = 0;
  private total = 0;
  private started = performance.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    mode: ProgressMode,
    private readonly op: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.mode = mode === 'auto' ? (out.isTTY ? 'bar' : 'json') : mode;
  }

  get isJson(): boolean {
    return this.mode === 'json';
  }

  start(totalBytes: number, files: number): void {
    this.total = totalBytes;
    this.started = performance.now();
    if (this.mode === 'none') return;
    if (this.mode === 'json') this.json('start', { files });
    this.timer = setInterval(() => (this.mode === 'json' ? this.json('progress') : this.bar()), this.mode === 'json' ? JSON_INTERVAL_MS : BAR_INTERVAL_MS);
    this.timer.unref();
  }

  add(bytes: number): void {
    this.done += bytes;
  }

  private rate(): number {
    const secs = (performance.now() - this.started) / 1000;
    return secs > 0 ? this.done / secs : 0;
  }

  private json(event: string, extra: Record<string, unknown> = {}): void {
    const rate = this.rate();
    const eta = rate > 0 ? (this.total - this.done) / rate : null;
    this.out.write(
      JSON.stringify({
        ts: new Date().toISOString(),
        op: this.op,
        event,
        bytesDone: this.done,
        bytesTotal: this.total,
        bytesPerSecond: Math.round(rate),
        etaSeconds: eta === null ? null : Math.round(eta),
        ...extra,
      }) + '\n',
    );
  }

  private bar(): void {
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const rate = this.rate();
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    this.out.write(
      `\r${this.op} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(this.done)} / ${formatBytes(this.total)} ${formatBytes(rate)}/s ETA ${formatEta(eta)}\x1b[K`,
    );
  }

  finish(summary: Summary, stdout: NodeJS.WritableStream = process.stdout): void {
    if (this.timer) clearInterval(this.timer);
    if (this.mode === 'bar') {
      this.bar();
      this.out.write('\n');
    }
    if (this.mode === 'json') {
      this.json('done');
      stdout.write(JSON.stringify({ summary }) + '\n');
    } else {
      stdout.write(
        `${summary.op} done: ${summary.files} files, ${summary.filesTransferred} transferred (${formatBytes(summary.bytesTransferred)}), ${formatBytes(summary.bytesReused)} reused, ${summary.seconds.toFixed(1)} s\n`,
      );
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.mode === 'bar') this.out.write('\n');
  }
}

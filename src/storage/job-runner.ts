import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError } from './errors.js';
import { type Job, type JobResult, runJob } from './jobs.js';

type Reply = { id: number; ok: true; result: JobResult } | { id: number; ok: false; error: { name: string; message: string } };

/**
 * Runs storage jobs one at a time on a worker thread. When the compiled worker script is not
 * next to this module (running from TypeScript sources, e.g. under vitest) jobs run in-process.
 */
export class JobRunner {
  private worker: Worker | null = null;
  private readonly script: URL | null = null;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();
  private queue: Promise<unknown> = Promise.resolve();

  /** `script` overrides where the compiled worker lives (tests running from sources point it at dist/). */
  constructor(useWorker: boolean, script?: URL) {
    const own = new URL('./merge-worker.js', import.meta.url);
    if (!script && import.meta.url.endsWith('.js')) script = own;
    if (useWorker && script && script.protocol === 'file:' && existsSync(fileURLToPath(script))) {
      this.script = script;
      this.worker = this.spawn(script);
    }
  }

  private spawn(script: URL): Worker {
    // A bounded young generation: the default semi-spaces (tens of MB per isolate) would stay
    // resident between jobs. 16 MB rather than 4: with 4, a flush or merge of ~100k series spent
    // ~20% of its time in GC (scavenges every few hundred blocks, promoting what lives a little
    // longer: the shared-column memory, header groups).
    const w = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
    w.on('message', (r: Reply) => this.onReply(r));
    w.on('error', (e) => this.failAll(e));
    w.on('exit', (code) => {
      // A dead worker is replaced on the next job; the jobs it held fail (their inputs are intact).
      if (this.worker === w) this.worker = null;
      this.failAll(new StorageError(`storage worker exited with code ${code}`));
    });
    // After the listeners: attaching a message listener refs the port again. An idle worker
    // must not keep the process alive; exec() refs it while a job is out.
    w.unref();
    return w;
  }

  get inWorker(): boolean {
    return this.script !== null;
  }

  private onReply(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(new StorageError(`storage worker: ${r.error.message}`));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Jobs run strictly in submission order. */
  run(job: Job): Promise<JobResult> {
    const p = this.queue.then(() => this.exec(job));
    this.queue = p.catch(() => {});
    return p;
  }

  private exec(job: Job): Promise<JobResult> {
    if (!this.script) return runJob(job);
    if (this.closed) return Promise.reject(new StorageError('storage worker is closed'));
    const w = (this.worker ??= this.spawn(this.script));
    return new Promise<JobResult>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      w.ref();
      // Flush columns are either shared with the worker (nothing to move) or private copies
      // whose memory is handed over instead of cloned.
      const transfer: ArrayBuffer[] = [];
      if (job.kind === 'flush') {
        for (const a of [job.timestamps, job.values, job.prev, job.seriesIds, job.heads]) if (a.buffer instanceof ArrayBuffer) transfer.push(a.buffer);
      } else if (job.kind === 'hist-flush') {
        // The row buffers stay: the memtable serves them until the part is in (shared memory as a rule).
        for (const a of [job.ids, job.timestamps, job.buf, job.start, job.end]) if (a.buffer instanceof ArrayBuffer) transfer.push(a.buffer);
      }
      w.postMessage({ id, job }, transfer);
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
  }
}

import { exposeGc } from '../runtime/index.js';

/**
 * Full collections for a decode worker, driven by the bytes it has handled. A worker's heap is
 * tiny, so V8 hardly ever collects it on its own, while each body it decodes leaves a dead
 * ArrayBuffer outside the heap (the request body it received; the results are transferred away).
 * With two workers that garbage grew resident memory by half over a long ingestion run; a full
 * GC of a worker heap takes a millisecond or two.
 */
export class WorkerGc {
  private readonly gc: (() => void) | null;
  private pending = 0;

  constructor(private readonly everyBytes: number) {
    this.gc = exposeGc();
  }

  /** Counts bytes that became garbage; collects once `everyBytes` have piled up. */
  note(bytes: number): void {
    this.pending += bytes;
    if (this.pending < this.everyBytes || this.gc === null) return;
    this.pending = 0;
    this.gc();
  }
}

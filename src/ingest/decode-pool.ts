import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ColumnBatch, type DecodedBatch } from './batch.js';
import type { RemoteWriteVersion } from './content-type.js';
import type { DecodeRequest, DecodeResponse } from './decode-worker.js';
import type { SharedIdTable } from './id-lookup.js';
import { IngestError, type IngestErrorStatus } from './errors.js';
import { resolveLimits, type IngestLimits } from './limits.js';
import { decodeRemoteWriteV1 } from './remote-write-v1.js';
import { decodeRemoteWriteV2 } from './remote-write-v2.js';

/**
 * Decodes remote-write bodies on worker threads so decompression and protobuf walking run beside
 * the main thread's index and storage work. Bodies go to the least-loaded worker; results come
 * back as transferred typed arrays. When the compiled worker script is absent (sources run
 * directly, e.g. under vitest) or `threads` is 0, decoding runs in-thread behind the same API.
 */

export interface DecodePoolOptions {
  /** Worker count; default: available cores − 1, or all of them on one or two cores. 0 decodes in-thread. */
  readonly threads?: number;
  readonly limits?: Partial<IngestLimits>;
  /** The worker script; default `./decode-worker.js` next to this module. */
  readonly workerUrl?: URL;
}

interface Pending {
  resolve(b: DecodedBatch): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** Young-generation size of each decode worker's V8 heap. */
const DECODE_YOUNG_GEN_MB = 8;

/**
 * Cores − 1, but at least two on a machine with two cores: decoding is the largest share of
 * ingestion CPU, and a second worker lets it use both cores while the main thread waits on the
 * WAL or the index (measured on 2 cores: ~0.55–0.88× VictoriaMetrics's samples/s with two
 * workers against ~0.29–0.46× with one, same run; the CPU per sample did not grow).
 */
function defaultThreads(): number {
  const cores = availableParallelism();
  return cores <= 2 ? cores : cores - 1;
}

function defaultWorkerUrl(): URL | null {
  const url = new URL('./decode-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

export class DecodePool {
  private readonly limits: IngestLimits;
  private readonly slots: Slot[] = [];
  private readonly workerUrl: URL | null;
  private nextId = 1;
  private closed = false;

  constructor(opts: DecodePoolOptions = {}) {
    this.limits = resolveLimits(opts.limits);
    const wanted = opts.threads ?? defaultThreads();
    if (!Number.isInteger(wanted) || wanted < 0) throw new RangeError(`decode pool threads must be a non-negative integer, got ${String(opts.threads)}`);
    this.workerUrl = wanted === 0 ? null : (opts.workerUrl ?? defaultWorkerUrl());
    if (this.workerUrl !== null) for (let i = 0; i < wanted; i++) this.slots.push(this.spawn());
  }

  /** Running workers; 0 means bodies are decoded on the calling thread. */
  get threads(): number {
    return this.slots.length;
  }

  /** Bodies handed to workers and not answered yet (for load shedding: 429 above a bound). */
  get pending(): number {
    let n = 0;
    for (const s of this.slots) n += s.pending.size;
    return n;
  }

  private spawn(): Slot {
    // A small young generation: a worker's garbage is short-lived (one body at a time) and its
    // results leave as transferred buffers, while the default semi-spaces would keep tens of MB
    // resident per worker.
    const worker = new Worker(this.workerUrl!, { workerData: { limits: this.limits }, resourceLimits: { maxYoungGenerationSizeMb: DECODE_YOUNG_GEN_MB } });
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (res: DecodeResponse) => {
      const p = slot.pending.get(res.id);
      if (p === undefined) return;
      slot.pending.delete(res.id);
      if (res.ok) p.resolve(new ColumnBatch(res.data));
      else if (res.status !== null) p.reject(new IngestError(res.status as IngestErrorStatus, res.message));
      else p.reject(new Error(`decode worker failed: ${res.message}`));
    });
    const fail = (err: Error): void => {
      for (const p of slot.pending.values()) p.reject(new Error(`decode worker died: ${err.message}`));
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed && slot.pending.size > 0) fail(new Error(`exit code ${code}`));
    });
    // Idle workers must not keep the process alive.
    worker.unref();
    return slot;
  }

  /**
   * Decodes a snappy-compressed remote-write body. The body's memory is transferred to the worker
   * when the view covers its whole ArrayBuffer (do not reuse it afterwards); otherwise it is copied.
   * With `idTable`, workers look the series up in it (the batch's `knownIds`); with
   * `dropKnownKeys` too, the batch keeps only the keys of the series they did not find.
   */
  decode(kind: RemoteWriteVersion, body: Uint8Array, idTable?: SharedIdTable, dropKnownKeys = false): Promise<DecodedBatch> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    if (this.slots.length === 0) {
      try {
        return Promise.resolve(kind === 'v2' ? decodeRemoteWriteV2(body, this.limits) : decodeRemoteWriteV1(body, this.limits));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const own = whole ? body : body.slice();
    const id = this.nextId++;
    const req: DecodeRequest = idTable ? { id, kind, body: own, idTable, dropKnownKeys } : { id, kind, body: own };
    return new Promise<DecodedBatch>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage(req, [own.buffer as ArrayBuffer]);
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const s of slots) for (const p of s.pending.values()) p.reject(new Error('decode pool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

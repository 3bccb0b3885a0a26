import { parentPort, workerData } from 'node:worker_threads';
import type { BatchData } from './batch.js';
import type { RemoteWriteVersion } from './content-type.js';
import { IngestError } from './errors.js';
import type { IngestLimits } from './limits.js';
import { decodeRemoteWriteV1 } from './remote-write-v1.js';
import { decodeRemoteWriteV2 } from './remote-write-v2.js';
import { WorkerGc } from './worker-gc.js';
import { dropKnownKeys, lookupIds, type SharedIdTable } from './id-lookup.js';

/**
 * A decode-pool worker: receives compressed remote-write bodies, answers with the batch's plain
 * data; the three sample columns travel as transferred buffers (no copy, no per-sample clone).
 */

export interface DecodeRequest {
  readonly id: number;
  readonly kind: RemoteWriteVersion;
  readonly body: Uint8Array;
  /** The tenant's series-id cache table: known series' ids are looked up here, off the main thread. */
  readonly idTable?: SharedIdTable;
  /** Send only the keys of series not found in idTable (no relabeling needs the others). */
  readonly dropKnownKeys?: boolean;
}

export type DecodeResponse =
  | { readonly id: number; readonly ok: true; readonly data: BatchData }
  | { readonly id: number; readonly ok: false; readonly status: number | null; readonly message: string };

const limits = (workerData as { limits: IngestLimits }).limits;
const port = parentPort;
if (port === null) throw new Error('decode-worker must run in a worker thread');
const collector = new WorkerGc(32 * 1024 * 1024);

port.on('message', (req: DecodeRequest) => {
  try {
    const batch = req.kind === 'v2' ? decodeRemoteWriteV2(req.body, limits, 'bytes') : decodeRemoteWriteV1(req.body, limits, 'bytes');
    const data = batch.toData();
    if (req.idTable !== undefined && data.keyHashes !== undefined) {
      data.knownIds = lookupIds(req.idTable, data.keyHashes, data.seriesCount);
      if (req.dropKnownKeys === true) dropKnownKeys(data);
    }
    const transfer = [data.seriesIndex.buffer, data.timestamps.buffer, data.values.buffer] as ArrayBuffer[];
    const h = data.histogramRows;
    for (const a of [
      ...(data.keyChunks ?? []),
      data.keyExtra,
      data.keyRanges,
      data.keyHashes,
      data.knownIds?.ids,
      h?.seriesIndex,
      h?.timestamps,
      h?.offsets,
      h?.bytes,
    ]) {
      // Shared memory (histogram rows) is shared, not transferred.
      if (a !== undefined && a.buffer instanceof ArrayBuffer && !transfer.includes(a.buffer)) transfer.push(a.buffer);
    }
    const res: DecodeResponse = { id: req.id, ok: true, data };
    port.postMessage(res, transfer);
    collector.note(req.body.byteLength);
  } catch (e) {
    const res: DecodeResponse =
      e instanceof IngestError
        ? { id: req.id, ok: false, status: e.status, message: e.message }
        : { id: req.id, ok: false, status: null, message: (e as Error).message ?? String(e) };
    port.postMessage(res);
  }
});

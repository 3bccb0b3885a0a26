/**
 * Entry point of the storage worker thread: runs flush and merge jobs (see jobs.ts) off the main
 * thread so ingestion and queries never wait for encoding or merging.
 */
import { parentPort } from 'node:worker_threads';
import { exposeGc } from '../runtime/index.js';
import { type Job, runJob } from './jobs.js';

interface Request {
  id: number;
  job: Job;
}

/**
 * A job leaves its input columns and block buffers behind as garbage, mostly outside the JS heap,
 * and an idle worker never gets round to collecting it: memory would then follow the size of
 * the last merges rather than the number of active series. A full GC of this small heap after
 * each job costs a few milliseconds against jobs of hundreds.
 */
const port = parentPort;
if (port) {
  const gc = exposeGc();
  port.on('message', (req: Request) => {
    runJob(req.job).then(
      (result) => {
        port.postMessage({ id: req.id, ok: true, result });
        gc?.();
      },
      (err: unknown) => {
        const e = err as Error;
        port.postMessage({ id: req.id, ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } });
        gc?.();
      },
    );
  });
}
